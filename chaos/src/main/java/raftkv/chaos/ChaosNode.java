package raftkv.chaos;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One node process of a chaos cluster: its identity, its addresses and its process, which
 * can be killed, stopped, paused, resumed and started again on the same data directory.
 *
 * <p>Addresses: the Raft identity is {@code id:identityPort}, a host name that every other
 * node resolves to a loopback address of its own (see {@link ChaosCluster}), where the link
 * proxy from that node listens; the node itself binds its Raft transport at
 * {@code 127.0.0.1:listenPort} and its client API at {@code grpcAddress}.
 *
 * <p>Thread-safety: process control is synchronized; one fault touches a node at a time.
 */
final class ChaosNode {
  final String id;
  final boolean learner;
  /** 1-based position in the cluster: the node's private loopback address is 127.0.0.(10+n). */
  final int ordinal;
  final int identityPort;
  final int listenPort;
  final String grpcAddress;
  final Path dataDir;
  private final Path log;
  private List<String> command = List.of();
  private Process process;
  private boolean paused;

  ChaosNode(String id, boolean learner, int ordinal, int identityPort, int listenPort,
      String grpcAddress, Path dataDir, Path log) {
    this.id = id;
    this.learner = learner;
    this.ordinal = ordinal;
    this.identityPort = identityPort;
    this.listenPort = listenPort;
    this.grpcAddress = grpcAddress;
    this.dataDir = dataDir;
    this.log = log;
  }

  /** The Raft identity every node uses for this one. */
  String raftIdentity() {
    return id + ":" + identityPort;
  }

  /** The address this node's outgoing Raft connections come from (its proxies listen there). */
  String privateLoopback() {
    return "127.0.0." + (10 + ordinal);
  }

  /** {@code id=raftIdentity/grpc[/learner]} as the server's --peers option takes it. */
  String peerSpec() {
    return id + "=" + raftIdentity() + "/" + grpcAddress + (learner ? "/learner" : "");
  }

  /** Appended to across restarts; kept when the data directory is wiped. */
  Path log() {
    return log;
  }

  synchronized void start(List<String> command) throws IOException {
    if (isRunning()) {
      throw new IllegalStateException(id + " is running");
    }
    this.command = List.copyOf(command);
    ProcessBuilder builder = new ProcessBuilder(this.command);
    // glibc's per-thread malloc arenas multiply RocksDB's and Netty's native memory.
    builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
    process = builder.redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    paused = false;
  }

  /** Starts the process again with the command it was last started with. */
  synchronized void restart() throws IOException {
    start(command);
  }

  synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  synchronized boolean isPaused() {
    return paused;
  }

  synchronized Optional<Long> pid() {
    return isRunning() ? Optional.of(process.pid()) : Optional.empty();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed that was not fsynced. */
  synchronized void kill() throws InterruptedException {
    if (process == null) {
      return;
    }
    if (paused) {
      signal("CONT");
    }
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    paused = false;
  }

  /** SIGTERM and wait for a clean exit (SIGKILL after 20 s). */
  synchronized void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (paused) {
      signal("CONT");
      paused = false;
    }
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** SIGSTOP: the process keeps its sockets but runs nothing, like a long GC pause or a VM freeze. */
  synchronized void pause() {
    if (isRunning() && !paused) {
      signal("STOP");
      paused = true;
    }
  }

  /** SIGCONT. */
  synchronized void resume() {
    if (isRunning() && paused) {
      signal("CONT");
      paused = false;
    }
  }

  private void signal(String name) {
    try {
      // The shell's kill builtin: no dependency on a kill binary being installed.
      Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -" + name + " " + process.pid())
          .redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot signal " + id + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + id, e);
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
