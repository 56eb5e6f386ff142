package raftkv.bench;

import com.google.protobuf.ByteString;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import raftkv.client.KvException;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.PutResponse;
import raftkv.v1.ReadOptions;

/**
 * Runs one operation of a run's pattern for a session, and records what came back: latency
 * and failures in the {@link OpStats} of the operation's kind, and every acknowledged write
 * and successful read in the {@link ConsistencyChecker}.
 *
 * <p>Thread-safe: shared by all sessions; per-session state lives in the {@link SessionSlot}.
 */
final class Workload {
  private final BenchOptions options;
  private final ConsistencyChecker checker;
  private final OpStats writes;
  private final Map<Consistency, OpStats> reads;

  Workload(BenchOptions options, ConsistencyChecker checker, OpStats writes,
      Map<Consistency, OpStats> reads) {
    this.options = options;
    this.checker = checker;
    this.writes = writes;
    this.reads = reads;
  }

  /**
   * Starts one operation of {@code slot}'s session. Latency counts from
   * {@code intendedStartNanos} (the arrival time in an open loop, so that time spent waiting
   * for a free session counts too). The future completes, never exceptionally, when the
   * operation is done.
   */
  CompletableFuture<Void> run(SessionSlot slot, long intendedStartNanos) {
    if (options.pattern() == Pattern.WRITE_THEN_READ) {
      return write(slot, slot.ownKey, intendedStartNanos).thenCompose(acked -> acked
          ? read(slot, slot.ownKey, nextLevel(slot), System.nanoTime())
          : CompletableFuture.completedFuture(null));
    }
    if (slot.random.nextDouble() < options.readRatio()) {
      return read(slot, slot.nextKey(), nextLevel(slot), intendedStartNanos);
    }
    return write(slot, slot.nextKey(), intendedStartNanos).thenApply(acked -> null);
  }

  private Consistency nextLevel(SessionSlot slot) {
    return options.consistency().pick(slot.random.nextDouble());
  }

  /** A put of a fresh unique value; completes with whether it was acknowledged. */
  private CompletableFuture<Boolean> write(SessionSlot slot, ByteString key, long startNanos) {
    ByteString value = slot.nextValue(options.valueSize());
    CompletableFuture<PutResponse> call;
    try {
      call = slot.session.async().put(key, value);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.handle((response, failure) -> {
      if (failure != null) {
        writes.recordError(code(failure));
        return false;
      }
      writes.recordOk((System.nanoTime() - startNanos) / 1000);
      checker.writeAcked(slot.name, key, value, response.getIndex());
      return true;
    });
  }

  private CompletableFuture<Void> read(SessionSlot slot, ByteString key, Consistency level,
      long startNanos) {
    OpStats stats = reads.get(level);
    ReadOptions.Builder read = ReadOptions.newBuilder().setConsistency(level);
    if (level == Consistency.BOUNDED_STALENESS) {
      read.setMaxLagMs(options.maxStaleness().toMillis());
    }
    long tokenBefore = ConsistencyChecker.tokenIndex(slot.session.token());
    CompletableFuture<GetResponse> call;
    try {
      call = slot.session.async().get(GetRequest.newBuilder().setKey(key).setRead(read).build());
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.handle((r, failure) -> {
      if (failure != null) {
        stats.recordError(code(failure));
        return null;
      }
      stats.recordOk((System.nanoTime() - startNanos) / 1000);
      stats.recordRead(r.getMeta().getServedBy(), r.getMeta().getWaitedMicros());
      checker.readReturned(slot.name, level, key, r.getFound(), r.getKv().getValue(),
          r.getKv().getVersion(), r.getMeta().getAppliedIndex(), tokenBefore);
      return null;
    });
  }

  /** A failure's gRPC status code name, or the exception's class name when it has none. */
  static String code(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return cause instanceof KvException kv ? kv.code().name() : cause.getClass().getSimpleName();
  }
}
