package raftkv.history;

import java.util.Objects;

/**
 * One client operation on one key as recorded: who invoked it, what it asked, when it was invoked
 * and completed (nanoseconds from one clock shared by the whole history) and what came of it.
 * Immutable.
 *
 * <p>Invariants, checked on construction:
 * <ul>
 *   <li>{@code invokeNanos <= completeNanos}; an {@link Outcome#UNKNOWN} op has an open end,
 *       {@code completeNanos == Long.MAX_VALUE}, whatever the client saw.</li>
 *   <li>{@code result} is a READ's returned value (null = key absent) and is null otherwise and for
 *       reads that did not complete OK.</li>
 *   <li>{@code succeeded} is set only for a CAS that completed OK, and only when the client learned
 *       whether the comparison held; null means "not known".</li>
 * </ul>
 *
 * @param id unique within its {@link History}, in invocation order when recorded
 * @param process the client process or session that issued it; one process has at most one
 *     operation in flight
 * @param expected for a CAS, the compared value (null = key absent); null otherwise
 * @param value the value a WRITE puts or a CAS sets; null for a READ
 */
public record Op(
    int id,
    String process,
    Kind kind,
    String key,
    String expected,
    String value,
    long invokeNanos,
    long completeNanos,
    Outcome outcome,
    String result,
    Boolean succeeded) {

  /** The three operations of a register. */
  public enum Kind { WRITE, READ, CAS }

  /** What the client knows of whether the operation took effect. */
  public enum Outcome {
    /** It took effect exactly once, between invocation and completion. */
    OK,
    /** It definitely did not take effect. */
    FAILED,
    /** It may have taken effect at any time after its invocation, or never (timeouts, lost replies). */
    UNKNOWN
  }

  public Op {
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(outcome, "outcome");
    new Command(kind, key, expected, value); // validates the command fields
    if (outcome == Outcome.UNKNOWN) {
      completeNanos = Long.MAX_VALUE;
    }
    if (completeNanos < invokeNanos) {
      throw new IllegalArgumentException("op " + id + " completes before it is invoked");
    }
    if (result != null && (kind != Kind.READ || outcome != Outcome.OK)) {
      throw new IllegalArgumentException("only a read that completed OK returns a value");
    }
    if (succeeded != null && (kind != Kind.CAS || outcome != Outcome.OK)) {
      throw new IllegalArgumentException("only a CAS that completed OK reports success");
    }
  }

  /** Builds an op from a command. */
  public static Op of(int id, String process, Command command, long invokeNanos, long completeNanos,
      Outcome outcome, String result, Boolean succeeded) {
    return new Op(id, process, command.kind(), command.key(), command.expected(), command.value(),
        invokeNanos, completeNanos, outcome, result, succeeded);
  }

  /** Compact form for explanations, e.g. {@code #7 p2 READ k -> "v3" [10, 25]}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder().append('#').append(id).append(' ').append(process)
        .append(' ').append(kind).append(' ').append(key);
    switch (kind) {
      case WRITE -> b.append(' ').append(quote(value));
      case READ -> b.append(" -> ").append(outcome == Outcome.OK ? quote(result) : "?");
      case CAS -> {
        b.append(' ').append(quote(expected)).append("=>").append(quote(value));
        if (succeeded != null) b.append(succeeded ? " ok" : " mismatch");
      }
    }
    if (outcome != Outcome.OK) b.append(' ').append(outcome);
    b.append(" [").append(invokeNanos).append(", ")
        .append(completeNanos == Long.MAX_VALUE ? "open" : Long.toString(completeNanos)).append(']');
    return b.toString();
  }

  private static String quote(String v) {
    return v == null ? "absent" : '"' + v + '"';
  }
}
