package raftkv.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CPU contention of a chaos run's own ({@code --cpu-load N}): one child JVM ({@link
 * CpuBurner}) with N threads that spin until it is closed.
 *
 * <p>Why a child process and not threads of the run's own JVM: the nodes are processes, and
 * the kernel schedules the spinning threads as their peers, like the busy loops of another
 * program on the same machine. Spinning threads inside the controlling JVM would instead share
 * its heap and safepoints with the fault proxies and the workload's clients, so a GC pause
 * there would distort the very timing the run records. One JVM for N threads is one process
 * to stop. It cannot outlive the run: it exits when its standard input ends, which happens
 * when this object closes it or when the controlling JVM dies in any way.
 *
 * <p>Thread-safety: {@link #close} may be called from any thread, more than once (the run's
 * end and a shutdown hook both call it); the rest is immutable.
 */
final class CpuLoad implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CpuLoad.class);
  /** A JVM start on a loaded machine; nothing is waited on but the child's first line. */
  private static final Duration START_WAIT = Duration.ofSeconds(60);
  private static final int OUTPUT_KEPT = 20;

  private final int threads;
  private final Process process;
  private Duration cpu = Duration.ZERO;
  private boolean closed;

  private CpuLoad(int threads, Process process) {
    this.threads = threads;
    this.process = process;
  }

  /**
   * Starts {@code threads} spinning threads in a child JVM started by {@code launcher} (its
   * java binary and JVM options, so its class path), and returns once they spin. With 0
   * threads starts nothing.
   *
   * @param label shown in the child's command line (the run's directory), so that {@code ps}
   *     tells which run it belongs to
   * @throws IllegalStateException if the child does not report spinning within 60 s (it is
   *     stopped first)
   */
  static CpuLoad start(NodeLauncher launcher, int threads, Path label)
      throws IOException, InterruptedException {
    if (threads == 0) {
      return new CpuLoad(0, null);
    }
    List<String> command = new ArrayList<>();
    command.add(launcher.java());
    command.addAll(launcher.jvmOptions());
    command.addAll(List.of(CpuBurner.class.getName(), Integer.toString(threads),
        label.toAbsolutePath().toString()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CpuLoad load = new CpuLoad(threads, process);
    List<String> output = new ArrayList<>();
    CountDownLatch spinning = new CountDownLatch(1);
    // Drains the child's output for its whole life: a full pipe would block it.
    Thread reader = new Thread(() -> drain(process, output, spinning), "chaos-cpu-load-output");
    reader.setDaemon(true);
    reader.start();
    if (!spinning.await(START_WAIT.toSeconds(), TimeUnit.SECONDS)) {
      load.close();
      String said;
      synchronized (output) {
        said = String.join(" | ", output);
      }
      throw new IllegalStateException("the CPU load process did not start spinning within "
          + START_WAIT.toSeconds() + " s" + (said.isEmpty() ? "" : "; it said: " + said));
    }
    LOG.debug("CPU load: {} busy threads in process {}", threads, process.pid());
    return load;
  }

  private static void drain(Process process, List<String> output, CountDownLatch spinning) {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith(CpuBurner.READY)) {
          spinning.countDown();
        } else {
          synchronized (output) {
            if (output.size() < OUTPUT_KEPT) {
              output.add(line);
            }
          }
          LOG.warn("CPU load process: {}", line);
        }
      }
    } catch (IOException closed) {
      // The process is gone; nothing more to read.
    }
  }

  /** Busy threads, 0 when the run adds no load. */
  int threads() {
    return threads;
  }

  /**
   * CPU time the spinning threads got, known once closed: evidence that the contention was
   * really there (a load the kernel never scheduled would show about zero).
   */
  synchronized Duration cpu() {
    return cpu;
  }

  /** Stops the child and waits for it to exit. Idempotent. */
  @Override
  public synchronized void close() {
    if (process == null || closed) {
      return;
    }
    closed = true;
    // Read before the process exits: the kernel forgets it afterwards.
    Optional<Duration> used = process.info().totalCpuDuration();
    cpu = used.orElse(Duration.ZERO);
    try {
      process.getOutputStream().close();
    } catch (IOException alreadyGone) {
      // The child exits on the end of its input or on the signal below, whichever it sees.
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    LOG.debug("CPU load stopped after {} ms of CPU", cpu.toMillis());
  }
}
