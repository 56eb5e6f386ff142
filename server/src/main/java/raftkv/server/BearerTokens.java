package raftkv.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The bearer tokens of an {@code auth-tokens-file} and the role each grants. Only SHA-256
 * hashes of the tokens are kept. Immutable and thread-safe.
 *
 * <p>File format: one {@code token role [name]} per line, separated by blanks; roles are
 * read, readwrite, admin; a {@code #} at the start of a line or after a blank starts a
 * comment; blank lines are ignored. Tokens are at least {@value #MIN_TOKEN_CHARS} printable
 * ASCII characters, and unique. Error messages never repeat a token.
 */
final class BearerTokens {
  static final int MIN_TOKEN_CHARS = 16;

  /** One configured token: its hash, what it grants, and a name for logs (may be ""). */
  record Entry(byte[] hash, AccessRole role, String name) {}

  private final List<Entry> entries;

  private BearerTokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  static BearerTokens none() {
    return new BearerTokens(List.of());
  }

  /**
   * Reads {@code file}.
   *
   * @throws IllegalArgumentException naming the file, the line number and the rule broken
   */
  static BearerTokens read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("auth-tokens-file " + file + " cannot be read", e);
    }
    List<Entry> entries = new ArrayList<>();
    List<Integer> lineOf = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      int lineNo = i + 1;
      String[] fields = withoutComment(lines.get(i)).trim().split("\\s+");
      if (fields.length == 1 && fields[0].isEmpty()) {
        continue;
      }
      String where = "auth-tokens-file " + file + " line " + lineNo + ": ";
      if (fields.length < 2 || fields.length > 3) {
        throw new IllegalArgumentException(where + "expected 'token role [name]', found "
            + fields.length + " field(s)");
      }
      String token = fields[0];
      if (token.length() < MIN_TOKEN_CHARS) {
        throw new IllegalArgumentException(where + "token has " + token.length()
            + " characters; tokens must have at least " + MIN_TOKEN_CHARS);
      }
      if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new IllegalArgumentException(where + "token must be printable ASCII");
      }
      AccessRole role;
      try {
        role = AccessRole.parse(fields[1]);
      } catch (IllegalArgumentException e) {
        // Not the value: a line written "name token role" would put the token here.
        throw new IllegalArgumentException(where + "field 2 (" + fields[1].length()
            + " characters) is not a role; roles are read, readwrite, admin");
      }
      byte[] hash = sha256(token);
      for (int j = 0; j < entries.size(); j++) {
        if (MessageDigest.isEqual(entries.get(j).hash(), hash)) {
          throw new IllegalArgumentException(where + "token is the same as on line "
              + lineOf.get(j) + "; each token must be unique");
        }
      }
      entries.add(new Entry(hash, role, fields.length == 3 ? fields[2] : ""));
      lineOf.add(lineNo);
    }
    return new BearerTokens(entries);
  }

  int size() {
    return entries.size();
  }

  /**
   * The entry whose token is {@code presented}. Takes the same time whichever entry matches,
   * or none: every configured hash is compared, with {@link MessageDigest#isEqual} and no
   * early exit, and the token itself is compared only through its hash.
   */
  Optional<Entry> find(String presented) {
    byte[] hash = sha256(presented);
    Entry found = null;
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(entry.hash(), hash) & found == null) {
        found = entry;
      }
    }
    return Optional.ofNullable(found);
  }

  private static String withoutComment(String line) {
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
        return line.substring(0, i);
      }
    }
    return line;
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
