package raftkv.history;

import java.util.Objects;

/**
 * What a client asked of one key: a put, a get or a compare-and-set. Immutable.
 *
 * <p>Invariants: {@code key} is never null; a WRITE carries the value it puts (never null, and
 * unique within a history — the checkers identify a write by its value); a READ carries no
 * values; a CAS carries the value it compares with ({@code expected}, null = "key absent") and the
 * non-null value it sets when the comparison holds.
 */
public record Command(Op.Kind kind, String key, String expected, String value) {

  public Command {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(key, "key");
    switch (kind) {
      case WRITE -> {
        Objects.requireNonNull(value, "a write puts a value");
        if (expected != null) throw new IllegalArgumentException("a write compares nothing");
      }
      case READ -> {
        if (expected != null || value != null) throw new IllegalArgumentException("a read carries no values");
      }
      case CAS -> Objects.requireNonNull(value, "a CAS sets a value");
    }
  }

  /** A put of {@code value}, which must be unique within the history. */
  public static Command write(String key, String value) {
    return new Command(Op.Kind.WRITE, key, null, value);
  }

  /** A get. */
  public static Command read(String key) {
    return new Command(Op.Kind.READ, key, null, null);
  }

  /** Sets {@code newValue} if the key holds {@code expected} (null = the key is absent). */
  public static Command cas(String key, String expected, String newValue) {
    return new Command(Op.Kind.CAS, key, expected, newValue);
  }
}
