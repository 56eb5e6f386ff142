package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HistoryRecorderTest {

  @Test
  void recordsOutcomesAndTreatsUncompletedOpsAsUnknown() {
    AtomicLong clock = new AtomicLong();
    HistoryRecorder rec = new HistoryRecorder(clock::incrementAndGet);
    HistoryRecorder.Pending w = rec.invoke("p1", Command.write("k", "a"));
    HistoryRecorder.Pending r = rec.invoke("p2", Command.read("k"));
    HistoryRecorder.Pending c = rec.invoke("p3", Command.cas("k", "a", "b"));
    HistoryRecorder.Pending lost = rec.invoke("p4", Command.write("k", "z"));
    HistoryRecorder.Pending f = rec.invoke("p5", Command.write("k", "y"));
    rec.invoke("p6", Command.write("k", "never"));
    w.ok();
    r.ok("a");
    c.ok(true);
    lost.unknown();
    f.fail();

    List<Op> ops = rec.history().ops();
    assertThat(ops).extracting(Op::outcome).containsExactly(Op.Outcome.OK, Op.Outcome.OK,
        Op.Outcome.OK, Op.Outcome.UNKNOWN, Op.Outcome.FAILED, Op.Outcome.UNKNOWN);
    assertThat(ops.get(1).result()).isEqualTo("a");
    assertThat(ops.get(2).succeeded()).isTrue();
    assertThat(ops.get(3).completeNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(ops.get(5).completeNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(ops.get(0).completeNanos()).isGreaterThan(ops.get(5).invokeNanos());
    assertThatThrownBy(w::ok).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void concurrentClientsRecordEveryOpOnce() throws Exception {
    HistoryRecorder rec = new HistoryRecorder();
    int threads = 8;
    int perThread = 500;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String process = "p" + t;
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < perThread; i++) {
          rec.invoke(process, Command.write("k" + (i % 4), process + "-" + i)).ok();
        }
      });
      th.start();
      all.add(th);
    }
    start.countDown();
    for (Thread th : all) th.join();
    History h = rec.history();
    assertThat(h.ops()).hasSize(threads * perThread);
    assertThat(h.ops()).allMatch(op -> op.outcome() == Op.Outcome.OK);
    assertThat(new LinearizabilityChecker().check(h).values()).allMatch(Verdict::isOk);
  }
}
