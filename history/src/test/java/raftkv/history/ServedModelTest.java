package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The served-information model: Served, Op's served component, recorder, builder, results. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServedModelTest {

  @Test
  void servedRejectsNegativeNumbersAndFieldsOfAnotherLevel() {
    assertThatThrownBy(() -> Served.write("n1", -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Served.read(ReadLevel.EVENTUAL, "n1", 3, -1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Served.read(ReadLevel.EVENTUAL, "n1", 3, 1, 2, 0))
        .hasMessageContaining("token");
    assertThatThrownBy(() -> Served.read(ReadLevel.SESSION, "n1", 3, 1, 2, 50))
        .hasMessageContaining("bound");
    assertThatThrownBy(() -> Served.read(null, "n1", 0, 0, 0, 0))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Served.write(null, 1)).isInstanceOf(NullPointerException.class);
    assertThat(Served.NONE).isEqualTo(new Served(ReadLevel.LINEARIZABLE, "", 0, 0, 0, 0));
  }

  @Test
  void opsWithoutServedInformationGetNone() {
    Op viaOldConstructor = new Op(0, "p", Op.Kind.READ, "k", null, null, 0, 1, Op.Outcome.OK,
        "a", null);
    Op viaNull = new Op(1, "p", Op.Kind.READ, "k", null, null, 0, 1, Op.Outcome.OK, "a", null,
        null);
    Op viaOf = Op.of(2, "p", Command.write("k", "a"), 0, 1, Op.Outcome.OK, null, null);
    assertThat(List.of(viaOldConstructor, viaNull, viaOf)).extracting(Op::served)
        .containsOnly(Served.NONE);
  }

  @Test
  void aWriteCarriesNoReadFields() {
    Served read = Served.read(ReadLevel.EVENTUAL, "n1", 3, 1, 0, 0);
    assertThatThrownBy(() -> Op.of(0, "p", Command.write("k", "a"), 0, 1, Op.Outcome.OK, null,
        null, read)).isInstanceOf(IllegalArgumentException.class);
    Op w = Op.of(0, "p", Command.write("k", "a"), 0, 1, Op.Outcome.OK, null, null,
        Served.write("n1", 7));
    assertThat(w.served().index()).isEqualTo(7);
    assertThat(w.withServed(Served.NONE).served()).isEqualTo(Served.NONE);
    assertThat(w.command()).isEqualTo(Command.write("k", "a"));
  }

  @Test
  void toStringShowsOnlyKnownServedFields() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1)
        .write("p1", "k", "b", 2, 3, Served.write("n1", 41))
        .read("p2", "k", "b", 4, 5, Served.read(ReadLevel.SESSION, "n2", 41, 37, 30, 0))
        .read("p2", "k", "b", 6, 7, Served.read(ReadLevel.BOUNDED, "", 0, 0, 0, 50))
        .build();
    assertThat(h.ops()).extracting(Op::toString).containsExactly(
        "#0 p1 WRITE k \"a\" [0, 1]",
        "#1 p1 WRITE k \"b\" @n1 idx=41 [2, 3]",
        "#2 p2 READ k -> \"b\" @n2 idx=41 val=37 SESSION tok=30 [4, 5]",
        "#3 p2 READ k -> \"b\" BOUNDED bound=50ms [6, 7]");
  }

  @Test
  void recorderKeepsWhatTheStoreReported() {
    AtomicLong clock = new AtomicLong();
    HistoryRecorder rec = new HistoryRecorder(clock::incrementAndGet);
    HistoryRecorder.Pending w = rec.invoke("p1", Command.write("k", "a"));
    HistoryRecorder.Pending r = rec.invoke("p2", Command.read("k"));
    HistoryRecorder.Pending c = rec.invoke("p3", Command.cas("k", "a", "b"));
    HistoryRecorder.Pending plain = rec.invoke("p4", Command.read("k"));
    Served rs = Served.read(ReadLevel.EVENTUAL, "n3", 4, 4, 0, 0);
    assertThatThrownBy(() -> w.ok("x", rs)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> r.ok(Served.write("n1", 1))).isInstanceOf(IllegalStateException.class);
    w.ok(Served.write("n1", 4));
    r.ok("a", rs);
    c.ok(true, Served.write("n1", 5));
    plain.ok((String) null);
    List<Op> ops = rec.history().ops();
    assertThat(ops).extracting(Op::served).containsExactly(Served.write("n1", 4), rs,
        Served.write("n1", 5), Served.NONE);
    assertThat(ops.get(2).succeeded()).isTrue();
  }

  @Test
  void builderHelpersRecordIndexes() {
    History h = History.builder()
        .write("p", "k", "a", 0, 1, 3)
        .cas("p", "k", "a", "b", true, 2, 3, 4)
        .read("p", "k", "b", 4, 5, ReadLevel.EVENTUAL, "n2", 4, 4)
        .build();
    assertThat(h.ops()).extracting(o -> o.served().index()).containsExactly(3L, 4L, 4L);
    assertThat(h.ops().get(2).served().level()).isEqualTo(ReadLevel.EVENTUAL);
  }

  @Test
  void violationsUseKnownGuaranteesAndKeepFiveOps() {
    assertThatThrownBy(() -> new Violation("linearisability", "x", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    History h = History.builder().write("p", "k", "a", 0, 1).write("p", "k", "b", 2, 3)
        .write("p", "k", "c", 4, 5).write("p", "k", "d", 6, 7).write("p", "k", "e", 8, 9)
        .write("p", "k", "f", 10, 11).build();
    Violation v = new Violation(Violation.LOST_WRITE, "x", h.ops());
    assertThat(v.ops()).hasSize(Violation.MAX_OPS).startsWith(h.ops().get(0));
    assertThat(Violation.GUARANTEES).containsExactly("linearizability", "read-your-writes",
        "monotonic-reads", "monotonic-writes", "writes-follow-reads", "consistent-prefix",
        "bounded-staleness", "lost-write", "convergence", "watch-order", "watch-gap",
        "watch-agreement", "watch-phantom", "lease-end");
  }

  @Test
  void aResultIsOkOnlyWithNoViolationAndNothingUndecided() {
    Violation v = new Violation(Violation.LOST_WRITE, "x", List.of());
    assertThat(new CheckResult("lost-write", 3, List.of()).ok()).isTrue();
    assertThat(new CheckResult("linearizability", 3, 1, List.of()).ok()).isFalse();
    CheckResult bad = new CheckResult("lost-write", 3, List.of(v, v));
    assertThat(bad.ok()).isFalse();
    assertThat(bad.count(Violation.LOST_WRITE)).isEqualTo(2);
    assertThat(bad.count(Violation.CONVERGENCE)).isZero();
  }
}
