package raftkv.chaos;

import java.io.IOException;

/**
 * The child process of {@link CpuLoad}: {@code CpuBurner THREADS [LABEL]} spins THREADS threads
 * until its standard input ends, then exits. LABEL (the run's directory) only makes the process
 * recognisable in {@code ps}.
 *
 * <p>Why standard input: the parent holds the pipe open for as long as it wants the load, and
 * the kernel closes it when the parent exits however it exits (SIGKILL included), so the load
 * cannot outlive the run that started it.
 */
public final class CpuBurner {
  /** Printed once every thread is spinning; {@link CpuLoad} waits for it. */
  static final String READY = "spinning";

  /** Written now and then so that the JIT cannot drop the loop as dead code. */
  @SuppressWarnings("unused")
  private static volatile long sink;

  private CpuBurner() {}

  public static void main(String[] args) throws IOException {
    int threads = Integer.parseInt(args[0]);
    for (int i = 0; i < threads; i++) {
      Thread spinner = new Thread(CpuBurner::spin, "spin-" + i);
      spinner.setDaemon(true);
      spinner.start();
    }
    System.out.println(READY + " " + threads);
    System.out.flush();
    while (System.in.read() != -1) {
      // Nothing is ever written; only the end of the stream matters.
    }
    System.exit(0);
  }

  /** Integer work only (xorshift): no allocation, no memory traffic, no GC. */
  private static void spin() {
    long x = System.nanoTime() | 1;
    while (true) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      if ((x & 0xFFFFF) == 0) {
        sink = x;
      }
    }
  }
}
