package raftkv.history;

import java.util.Objects;

/**
 * The keys one watch covers: one key, every key with a prefix, or a range. Immutable.
 *
 * <p>Keys compare in UTF-8 byte order (the store's order), which for Strings is code point
 * order.
 *
 * @param from the key, the prefix, or the range's inclusive start
 * @param to the range's exclusive end, null = to the last key; null unless {@link Kind#RANGE}
 */
public record WatchedKeys(Kind kind, String from, String to) {

  /** How {@code from} and {@code to} are read. */
  public enum Kind { KEY, PREFIX, RANGE }

  public WatchedKeys {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(from, "from");
    if (to != null && kind != Kind.RANGE) {
      throw new IllegalArgumentException("only a range has an end");
    }
  }

  public static WatchedKeys key(String key) {
    return new WatchedKeys(Kind.KEY, key, null);
  }

  public static WatchedKeys prefix(String prefix) {
    return new WatchedKeys(Kind.PREFIX, prefix, null);
  }

  /** Keys in [{@code start}, {@code end}); {@code end} null = to the last key. */
  public static WatchedKeys range(String start, String end) {
    return new WatchedKeys(Kind.RANGE, start, end);
  }

  public boolean covers(String key) {
    return switch (kind) {
      case KEY -> key.equals(from);
      case PREFIX -> key.startsWith(from);
      case RANGE -> compare(key, from) >= 0 && (to == null || compare(key, to) < 0);
    };
  }

  /** {@code key "a"}, {@code prefix "e1-"}, {@code range ["a", "c")} or {@code range ["a", end)}. */
  @Override
  public String toString() {
    return switch (kind) {
      case KEY -> "key " + quote(from);
      case PREFIX -> "prefix " + quote(from);
      case RANGE -> "range [" + quote(from) + ", " + (to == null ? "end" : quote(to)) + ')';
    };
  }

  /** In double quotes, control characters as Java u-escapes (a range from the first key). */
  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    s.chars().forEach(c -> {
      if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", c));
      else b.append((char) c);
    });
    return b.append('"').toString();
  }

  private static int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) return Integer.compare(ca, cb);
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
