package raftkv.server;

/**
 * Turns off Netty's buffer-leak sampling in a node, for gRPC's shaded Netty and for the plain
 * Netty under jraft's Bolt transport, unless the operator set a level with Netty's own
 * system property ({@code io.grpc.netty.shaded.io.netty.leakDetection.level} or
 * {@code io.netty.leakDetection.level}; set one to {@code paranoid} to hunt a leak).
 *
 * <p>Why: at Netty's default level one buffer in 128 records where it was allocated, with a
 * stack trace; a learner serving 13,000 reads/s spent 2.6 % of its CPU doing so. The
 * sampling only reports leaks, it never fixes one. Thread-safe; call before the first
 * buffer is allocated for the setting to cover every buffer.
 */
final class NettyLeakDetection {
  private NettyLeakDetection() {}

  static void disableUnlessConfigured() {
    if (System.getProperty("io.grpc.netty.shaded.io.netty.leakDetection.level") == null) {
      io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.setLevel(
          io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
  }
}
