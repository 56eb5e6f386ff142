package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Commands.apply;
import static raftkv.core.Commands.b;
import static raftkv.core.Commands.casPut;
import static raftkv.core.Commands.command;
import static raftkv.core.Commands.put;
import static raftkv.core.Commands.smallOptions;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.entity.RaftOutter.SnapshotMeta;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import com.google.protobuf.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.Outcome;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SnapshotTest {
  private static final long T0 = 1_700_000_000_000L;

  @TempDir Path tmp;
  private final List<KvStore> stores = new ArrayList<>();

  @AfterEach
  void closeStores() {
    stores.forEach(KvStore::close);
  }

  private KvStore open(String name) throws Exception {
    KvStore store = KvStore.open(tmp.resolve(name), smallOptions());
    stores.add(store);
    return store;
  }

  /** A jraft snapshot writer that only records which files were registered. */
  static final class FakeWriter extends SnapshotWriter {
    final Path path;
    final Set<String> files = new LinkedHashSet<>();

    FakeWriter(Path path) throws Exception {
      this.path = Files.createDirectories(path);
    }

    @Override public boolean saveMeta(SnapshotMeta meta) { return true; }
    @Override public boolean addFile(String fileName, Message fileMeta) { return files.add(fileName); }
    @Override public boolean removeFile(String fileName) { return files.remove(fileName); }
    @Override public void close(boolean keepDataOnError) {}
    @Override public void close() {}
    @Override public boolean init(Void opts) { return true; }
    @Override public void shutdown() {}
    @Override public String getPath() { return path.toString(); }
    @Override public Set<String> listFiles() { return files; }
    @Override public Message getFileMeta(String fileName) { return null; }
  }

  /** A jraft snapshot reader over a directory a {@link FakeWriter} filled. */
  static final class FakeReader extends SnapshotReader {
    final FakeWriter written;

    FakeReader(FakeWriter written) {
      this.written = written;
    }

    @Override public SnapshotMeta load() { return null; }
    @Override public String generateURIForCopy() { return null; }
    @Override public void close() {}
    @Override public boolean init(Void opts) { return true; }
    @Override public void shutdown() {}
    @Override public String getPath() { return written.getPath(); }
    @Override public Set<String> listFiles() { return written.files; }
    @Override public Message getFileMeta(String fileName) { return null; }
  }

  private static void applySteps(KvStore store, long from, long to) throws Exception {
    for (long i = from; i <= to; i++) {
      apply(store, i, Commands.command(casPut("counter", i - 1, "v" + i), "client", i, i - 1,
          T0 + i));
    }
  }

  private static Status save(KvStateMachine fsm, FakeWriter writer) {
    List<Status> done = new CopyOnWriteArrayList<>();
    fsm.onSnapshotSave(writer, done::add);
    assertThat(done).hasSize(1);
    return done.get(0);
  }

  @Test
  void aCheckpointLoadedIntoAFreshStoreHoldsTheSameDataIndexAndStateHash() throws Exception {
    KvStore source = open("source");
    applySteps(source, 1, 4);
    apply(source, 5, command(put("plain", "p")));
    Path checkpoint = tmp.resolve("checkpoint");
    source.checkpoint(checkpoint);

    KvStore target = open("target");
    apply(target, 1, command(put("local-only", "x")));
    target.replaceWith(checkpoint);

    assertThat(target.appliedIndex()).isEqualTo(5);
    assertThat(target.stateHash()).isEqualTo(source.stateHash());
    assertThat(target.get(b("counter"))).isEqualTo(source.get(b("counter")));
    assertThat(target.get(b("local-only")).result()).isNull();
    assertThat(target.exactlyOnce().clientCount()).isEqualTo(1);
    assertThat(target.maxProposedAtMs()).isEqualTo(source.maxProposedAtMs());

    // Both go on identically: the exactly-once table travelled with the data.
    Command retry = Commands.command(casPut("counter", 3, "v4"), "client", 4, 3, T0 + 10);
    Outcome fromSource = apply(source, 6, retry);
    Outcome fromTarget = apply(target, 6, retry);
    assertThat(fromTarget).isEqualTo(fromSource);
    assertThat(fromTarget.getTxn().getIndex()).isEqualTo(4);
    assertThat(target.stateHash()).isEqualTo(source.stateHash());
  }

  @Test
  void aSavedSnapshotRegistersTheIndexFileAndEveryCheckpointFile() throws Exception {
    KvStore store = open("kv");
    applySteps(store, 1, 3);
    KvStateMachine fsm = new KvStateMachine("n1", store);
    FakeWriter writer = new FakeWriter(tmp.resolve("snap"));

    assertThat(save(fsm, writer).isOk()).isTrue();

    assertThat(writer.files).contains("kv.applied_index", "kv/CURRENT");
    for (String file : writer.files) {
      assertThat(writer.path.resolve(file)).as("registered file %s", file).isRegularFile();
    }
    try (var onDisk = Files.list(writer.path.resolve("kv"))) {
      assertThat(onDisk.map(p -> "kv/" + p.getFileName()).toList())
          .containsExactlyInAnyOrderElementsOf(
              writer.files.stream().filter(f -> f.startsWith("kv/")).toList());
    }
    assertThat(Files.readString(writer.path.resolve("kv.applied_index")).trim()).isEqualTo("3");
  }

  @Test
  void loadingASnapshotOlderThanTheLocalStateKeepsTheLocalState() throws Exception {
    KvStore store = open("kv");
    applySteps(store, 1, 3);
    KvStateMachine fsm = new KvStateMachine("n1", store);
    FakeWriter writer = new FakeWriter(tmp.resolve("snap"));
    assertThat(save(fsm, writer).isOk()).isTrue();
    applySteps(store, 4, 5);
    String hash = store.stateHash().result();

    // What jraft does on every restart: load the last snapshot, then replay the log.
    assertThat(fsm.onSnapshotLoad(new FakeReader(writer))).isTrue();

    assertThat(store.appliedIndex()).isEqualTo(5);
    assertThat(store.stateHash().result()).isEqualTo(hash);
    assertThat(store.get(b("counter")).result().getValue().toStringUtf8()).isEqualTo("v5");
  }

  @Test
  void loadingANewerSnapshotReplacesTheLocalState() throws Exception {
    KvStore leaderStore = open("leader");
    applySteps(leaderStore, 1, 5);
    KvStateMachine leaderFsm = new KvStateMachine("n1", leaderStore);
    FakeWriter writer = new FakeWriter(tmp.resolve("snap"));
    assertThat(save(leaderFsm, writer).isOk()).isTrue();

    KvStore laggard = open("laggard");
    applySteps(laggard, 1, 2);
    apply(laggard, 3, command(put("diverged", "x")));
    KvStateMachine laggardFsm = new KvStateMachine("n2", laggard);
    List<Long> notified = new CopyOnWriteArrayList<>();
    laggardFsm.addAppliedListener(notified::add);

    assertThat(laggardFsm.onSnapshotLoad(new FakeReader(writer))).isTrue();

    assertThat(laggard.appliedIndex()).isEqualTo(5);
    assertThat(laggard.stateHash()).isEqualTo(leaderStore.stateHash());
    assertThat(laggard.get(b("diverged")).result()).isNull();
    assertThat(notified).containsExactly(5L);

    // Then the log after the snapshot applies on top, and replayed entries are skipped.
    FakeIterator iter = new FakeIterator();
    for (long i = 4; i <= 6; i++) {
      iter.add(i, Commands.command(casPut("counter", i - 1, "v" + i), "client", i, i - 1, T0 + i),
          null);
    }
    laggardFsm.onApply(iter);
    assertThat(laggard.appliedIndex()).isEqualTo(6);
    assertThat(laggard.get(b("counter")).result().getVersion()).isEqualTo(6);
    assertThat(laggard.get(b("conflicts/v4"))).extracting(IndexedRead::result).isNull();
  }

  @Test
  void theSnapshotStaysIntactAfterTheStoreThatLoadedItMovesOn() throws Exception {
    KvStore source = open("source");
    applySteps(source, 1, 3);
    FakeWriter writer = new FakeWriter(tmp.resolve("snap"));
    assertThat(save(new KvStateMachine("n1", source), writer).isOk()).isTrue();

    KvStore first = open("first");
    assertThat(new KvStateMachine("n2", first).onSnapshotLoad(new FakeReader(writer)))
        .isTrue();
    // The loaded store writes, flushes and compacts on its hard-linked files...
    applySteps(first, 4, 40);
    first.close();
    stores.remove(first);

    // ... and the snapshot still installs the state it was taken at.
    KvStore second = open("second");
    assertThat(new KvStateMachine("n3", second).onSnapshotLoad(new FakeReader(writer)))
        .isTrue();
    assertThat(second.appliedIndex()).isEqualTo(3);
    assertThat(second.stateHash()).isEqualTo(source.stateHash());
  }

  @Test
  void aLeaderRefusesToLoadASnapshot() throws Exception {
    KvStore source = open("source");
    applySteps(source, 1, 3);
    FakeWriter writer = new FakeWriter(tmp.resolve("snap"));
    assertThat(save(new KvStateMachine("n1", source), writer).isOk()).isTrue();
    KvStore store = open("kv");
    KvStateMachine fsm = new KvStateMachine("n2", store);
    fsm.onLeaderStart(2);

    assertThat(fsm.onSnapshotLoad(new FakeReader(writer))).isFalse();
    assertThat(store.appliedIndex()).isZero();
  }

  @Test
  void aSnapshotWithoutItsIndexFileFailsToLoadAndLeavesTheStoreAlone() throws Exception {
    KvStore store = open("kv");
    applySteps(store, 1, 2);
    KvStateMachine fsm = new KvStateMachine("n1", store);
    FakeWriter empty = new FakeWriter(tmp.resolve("empty-snap"));

    assertThat(fsm.onSnapshotLoad(new FakeReader(empty))).isFalse();
    assertThat(store.appliedIndex()).isEqualTo(2);
    assertThat(store.get(b("counter")).result()).isNotNull();
  }

  @Test
  void aSnapshotWhoseCheckpointIsEmptyIsRefusedAndTheLocalStateKept() throws Exception {
    KvStore store = open("kv");
    applySteps(store, 1, 2);
    String hash = store.stateHash().result();
    KvStateMachine fsm = new KvStateMachine("n1", store);
    // An incomplete copy: the index file says 5, but the checkpoint has no files.
    FakeWriter broken = new FakeWriter(tmp.resolve("broken-snap"));
    Files.createDirectories(broken.path.resolve("kv"));
    Files.writeString(broken.path.resolve("kv.applied_index"), "5");
    broken.files.add("kv.applied_index");

    boolean loaded = fsm.onSnapshotLoad(new FakeReader(broken));

    // Reporting success here would let jraft apply entries 6.. on top of an empty store.
    assertThat(loaded).as("onSnapshotLoad of an empty checkpoint").isFalse();
    assertThat(store.appliedIndex()).isEqualTo(2);
    assertThat(store.stateHash().result()).isEqualTo(hash);
  }

  @Test
  void aFailedReplaceLeavesTheLocalStoreInPlaceAndReadable() throws Exception {
    KvStore store = open("kv");
    applySteps(store, 1, 2);
    IndexedRead<raftkv.v1.KeyValue> before = store.get(b("counter"));

    assertThatThrownBy(() -> store.replaceWith(tmp.resolve("no-such-checkpoint")))
        .isInstanceOf(java.io.IOException.class);

    // Checked on disk first: touching a store whose RocksDB was closed under it could crash
    // the JVM rather than fail this test.
    assertThat(tmp.resolve("kv").resolve("CURRENT"))
        .as("the local store's files after a failed replace").exists();
    assertThat(store.get(b("counter"))).isEqualTo(before);
    assertThat(store.appliedIndex()).isEqualTo(2);
  }
}
