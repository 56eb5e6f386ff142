package raftkv.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Records a live run: each client calls {@link #invoke} before sending a request and completes the
 * returned {@link Pending} once with {@code ok}, {@code fail} or {@code unknown}.
 *
 * <p>Thread-safe: any number of client threads may invoke and complete concurrently. Times come
 * from one clock ({@link System#nanoTime} unless given), read inside {@code invoke} and the
 * completing call, so the recorded interval contains the real one. An op not completed when
 * {@link #history()} is taken is recorded as {@link Op.Outcome#UNKNOWN}.
 */
public final class HistoryRecorder {

  private final LongSupplier clock;
  private final List<Pending> pending = new ArrayList<>(); // guarded by this; index == op id

  public HistoryRecorder() {
    this(System::nanoTime);
  }

  /** With an explicit monotonic clock in nanoseconds (tests use a counter). */
  public HistoryRecorder(LongSupplier clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Records the invocation of {@code command} by {@code process}, now. */
  public Pending invoke(String process, Command command) {
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(command, "command");
    synchronized (this) {
      // Clock read under the lock so ids follow invocation times.
      Pending p = new Pending(pending.size(), process, command, clock.getAsLong());
      pending.add(p);
      return p;
    }
  }

  /** A snapshot: completed ops as completed, the rest UNKNOWN (open end). */
  public History history() {
    List<Pending> copy;
    synchronized (this) {
      copy = new ArrayList<>(pending);
    }
    List<Op> ops = new ArrayList<>(copy.size());
    for (Pending p : copy) {
      Op done = p.done.get();
      ops.add(done != null ? done
          : Op.of(p.id, p.process, p.command, p.invokeNanos, Long.MAX_VALUE, Op.Outcome.UNKNOWN,
              null, null));
    }
    return History.of(ops);
  }

  /**
   * One invoked operation awaiting its outcome. Thread-safe; exactly one completing call wins,
   * a second throws {@link IllegalStateException}.
   */
  public final class Pending {
    private final int id;
    private final String process;
    private final Command command;
    private final long invokeNanos;
    private final AtomicReference<Op> done = new AtomicReference<>();

    private Pending(int id, String process, Command command, long invokeNanos) {
      this.id = id;
      this.process = process;
      this.command = command;
      this.invokeNanos = invokeNanos;
    }

    /** A write (or a CAS whose success is not known) was acknowledged. */
    public void ok() {
      ok(Served.NONE);
    }

    /**
     * A write (or a CAS whose success is not known) was acknowledged; {@code served} tells the log
     * index it was applied at (see {@link Served#write}).
     */
    public void ok(Served served) {
      if (command.kind() == Op.Kind.READ) {
        throw new IllegalStateException("a read completes with ok(result)");
      }
      complete(Op.Outcome.OK, null, null, served);
    }

    /** A read returned {@code result} (null = key absent). */
    public void ok(String result) {
      ok(result, Served.NONE);
    }

    /**
     * A read returned {@code result} (null = key absent), served as {@code served} tells (see
     * {@link Served#read}).
     */
    public void ok(String result, Served served) {
      if (command.kind() != Op.Kind.READ) throw new IllegalStateException("not a read");
      complete(Op.Outcome.OK, result, null, served);
    }

    /** A CAS was acknowledged; {@code succeeded} tells whether the comparison held. */
    public void ok(boolean succeeded) {
      ok(succeeded, Served.NONE);
    }

    /** A CAS was acknowledged at the log index {@code served} tells. */
    public void ok(boolean succeeded, Served served) {
      if (command.kind() != Op.Kind.CAS) throw new IllegalStateException("not a CAS");
      complete(Op.Outcome.OK, null, succeeded, served);
    }

    /** The op definitely did not take effect (e.g. rejected before reaching the log). */
    public void fail() {
      complete(Op.Outcome.FAILED, null, null, Served.NONE);
    }

    /** The op may or may not have taken effect (timeout, lost connection). */
    public void unknown() {
      complete(Op.Outcome.UNKNOWN, null, null, Served.NONE);
    }

    private void complete(Op.Outcome outcome, String result, Boolean succeeded, Served served) {
      long now = outcome == Op.Outcome.UNKNOWN ? Long.MAX_VALUE : clock.getAsLong();
      Op op = Op.of(id, process, command, invokeNanos, now, outcome, result, succeeded, served);
      if (!done.compareAndSet(null, op)) {
        throw new IllegalStateException("op " + id + " completed twice");
      }
    }
  }
}
