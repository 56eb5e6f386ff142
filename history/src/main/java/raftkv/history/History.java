package raftkv.history;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable, recorded client history: every operation once, with unique ids. Thread-safe
 * (immutable). Record a live run with {@link HistoryRecorder}; write one by hand with
 * {@link #builder()}.
 */
public final class History {

  private final List<Op> ops;

  private History(List<Op> ops) {
    this.ops = List.copyOf(ops);
    if (this.ops.stream().map(Op::id).distinct().count() != this.ops.size()) {
      throw new IllegalArgumentException("op ids must be unique within a history");
    }
  }

  /** A history of exactly these ops. */
  public static History of(Collection<Op> ops) {
    return new History(new ArrayList<>(ops));
  }

  /** The ops in the order given (recorders give invocation order). */
  public List<Op> ops() {
    return ops;
  }

  /** The ops partitioned by key, keys in natural order. */
  public Map<String, List<Op>> byKey() {
    Map<String, List<Op>> out = new TreeMap<>();
    for (Op op : ops) {
      out.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return out;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Writes a history by hand, with explicit times; ids are assigned in call order. Not
   * thread-safe: for concurrent clients use {@link HistoryRecorder}.
   */
  public static final class Builder {
    private final List<Op> ops = new ArrayList<>();

    private Builder() {}

    /** Adds any op; {@code result} and {@code succeeded} as in {@link Op}. */
    public Builder add(String process, Command command, long invokeNanos, long completeNanos,
        Op.Outcome outcome, String result, Boolean succeeded) {
      return add(process, command, invokeNanos, completeNanos, outcome, result, succeeded,
          Served.NONE);
    }

    /** Adds any op with what the store reported about serving it. */
    public Builder add(String process, Command command, long invokeNanos, long completeNanos,
        Op.Outcome outcome, String result, Boolean succeeded, Served served) {
      ops.add(Op.of(ops.size(), process, command, invokeNanos, completeNanos, outcome, result,
          succeeded, served));
      return this;
    }

    /** An acknowledged put. */
    public Builder write(String process, String key, String value, long invoke, long complete) {
      return add(process, Command.write(key, value), invoke, complete, Op.Outcome.OK, null, null);
    }

    /** An acknowledged put applied at log {@code index} (0 = unknown), node unknown. */
    public Builder write(String process, String key, String value, long invoke, long complete,
        long index) {
      return add(process, Command.write(key, value), invoke, complete, Op.Outcome.OK, null, null,
          Served.write("", index));
    }

    /** An acknowledged put, served as {@code served} tells. */
    public Builder write(String process, String key, String value, long invoke, long complete,
        Served served) {
      return add(process, Command.write(key, value), invoke, complete, Op.Outcome.OK, null, null,
          served);
    }

    /** A read that returned {@code result} (null = absent), served as {@code served} tells. */
    public Builder read(String process, String key, String result, long invoke, long complete,
        Served served) {
      return add(process, Command.read(key), invoke, complete, Op.Outcome.OK, result, null, served);
    }

    /**
     * A read at {@code level} served by {@code node} at applied index {@code servedIndex}, returning
     * {@code result} written at {@code valueIndex}; no token or bound.
     */
    public Builder read(String process, String key, String result, long invoke, long complete,
        ReadLevel level, String node, long servedIndex, long valueIndex) {
      return read(process, key, result, invoke, complete,
          Served.read(level, node, servedIndex, valueIndex, 0, 0));
    }

    /** A read that returned {@code result} (null = absent). */
    public Builder read(String process, String key, String result, long invoke, long complete) {
      return add(process, Command.read(key), invoke, complete, Op.Outcome.OK, result, null);
    }

    /** An acknowledged compare-and-set whose comparison held ({@code succeeded}) or not. */
    public Builder cas(String process, String key, String expected, String newValue,
        boolean succeeded, long invoke, long complete) {
      return add(process, Command.cas(key, expected, newValue), invoke, complete, Op.Outcome.OK,
          null, succeeded);
    }

    /** An acknowledged compare-and-set applied at log {@code index} (0 = unknown). */
    public Builder cas(String process, String key, String expected, String newValue,
        boolean succeeded, long invoke, long complete, long index) {
      return add(process, Command.cas(key, expected, newValue), invoke, complete, Op.Outcome.OK,
          null, succeeded, Served.write("", index));
    }

    /** An op that definitely did not take effect. */
    public Builder failed(String process, Command command, long invoke, long complete) {
      return add(process, command, invoke, complete, Op.Outcome.FAILED, null, null);
    }

    /** An op whose outcome is unknown: open end. */
    public Builder unknown(String process, Command command, long invoke) {
      return add(process, command, invoke, Long.MAX_VALUE, Op.Outcome.UNKNOWN, null, null);
    }

    public History build() {
      return new History(ops);
    }
  }
}
