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
 *   <li>{@code served} is never null ({@link Served#NONE} when nothing is known); a write's or
 *       CAS's carries no read fields (level LINEARIZABLE, no value index, token or bound).</li>
 * </ul>
 *
 * @param id unique within its {@link History}, in invocation order when recorded
 * @param process the client process or session that issued it; one process has at most one
 *     operation in flight
 * @param expected for a CAS, the compared value (null = key absent); null otherwise
 * @param value the value a WRITE puts or a CAS sets; null for a READ
 * @param served what the store reported about serving it; meaningful for OK ops only
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
    Boolean succeeded,
    Served served) {

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
    if (served == null) {
      served = Served.NONE;
    }
    if (kind != Kind.READ && !served.fitsAWrite()) {
      throw new IllegalArgumentException("op " + id + ": a write or CAS is served at level"
          + " LINEARIZABLE with no value index, token or bound: " + served);
    }
  }

  /** An op with no served information ({@link Served#NONE}). */
  public Op(int id, String process, Kind kind, String key, String expected, String value,
      long invokeNanos, long completeNanos, Outcome outcome, String result, Boolean succeeded) {
    this(id, process, kind, key, expected, value, invokeNanos, completeNanos, outcome, result,
        succeeded, Served.NONE);
  }

  /** Builds an op from a command, with no served information. */
  public static Op of(int id, String process, Command command, long invokeNanos, long completeNanos,
      Outcome outcome, String result, Boolean succeeded) {
    return of(id, process, command, invokeNanos, completeNanos, outcome, result, succeeded,
        Served.NONE);
  }

  /** Builds an op from a command and what the store reported about serving it. */
  public static Op of(int id, String process, Command command, long invokeNanos, long completeNanos,
      Outcome outcome, String result, Boolean succeeded, Served served) {
    return new Op(id, process, command.kind(), command.key(), command.expected(), command.value(),
        invokeNanos, completeNanos, outcome, result, succeeded, served);
  }

  /** This op with {@code served} instead of its served information. */
  public Op withServed(Served served) {
    return new Op(id, process, kind, key, expected, value, invokeNanos, completeNanos, outcome,
        result, succeeded, served);
  }

  /** The command this op carried out. */
  public Command command() {
    return new Command(kind, key, expected, value);
  }

  /**
   * Compact form for explanations, e.g. {@code #7 p2 READ k -> "v3" @n2 idx=41 val=37 [10, 25]};
   * served fields appear only when known.
   */
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
    b.append(served.describe());
    b.append(" [").append(invokeNanos).append(", ")
        .append(completeNanos == Long.MAX_VALUE ? "open" : Long.toString(completeNanos)).append(']');
    return b.toString();
  }

  private static String quote(String v) {
    return v == null ? "absent" : '"' + v + '"';
  }
}
