package raftkv.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.slf4j.Marker;

/**
 * Drops what jraft and Bolt log once per attempt about an expected network condition: a peer
 * that is down, refusing connections or closing them. With one voter down a leader logged
 * ~1,100 lines a second, most of them Bolt's stack trace of each refused connection. The
 * leader's own peer log ({@code raftkv.server.PeerHealthLog}) says instead, once per change,
 * which peer is unreachable, why, and when it is back.
 *
 * <p>Dropped, at WARN and above (nothing else is touched):
 * <ul>
 *   <li>Bolt (which logs everything through sofa-common-tools' fallback logger
 *       {@code com.alipay.sofa.common.log}): any event whose exception is or was caused by an
 *       {@link IOException} (refused, reset or closed connections), except TLS failures
 *       ({@link SSLException}), which are configuration errors an operator must see.
 *   <li>jraft: the per-attempt messages listed in {@link #JRAFT}, matched on logger and
 *       message pattern; jraft's other warnings and errors (a closure that threw, a corrupt
 *       entry, a term conflict) still reach the log.
 * </ul>
 *
 * <p>Configured in the node's {@code logback.xml} as a {@code turboFilter}. Stateless and
 * thread-safe; it runs before logback's level check on every log call, so it decides on the
 * level first.
 */
public final class QuietNetworkFaults extends TurboFilter {
  /** Where Bolt's messages arrive once sofa-common-tools' logback adapter is disabled. */
  static final String BOLT_LOGGER = "com.alipay.sofa.common.log";

  /** jraft's per-attempt messages about unreachable peers, by logger: message pattern prefixes. */
  static final Map<String, List<String>> JRAFT = Map.of(
      "com.alipay.sofa.jraft.rpc.impl.AbstractClientService",
      List.of("Fail to connect {}, remoting exception"),
      "com.alipay.sofa.jraft.core.ReplicatorGroupImpl",
      List.of("Fail to check replicator connection to peer=", "Fail to start replicator to peer="),
      "com.alipay.sofa.jraft.core.Replicator",
      List.of("Fail to issue RPC to {}", "Fail to init sending channel to {}",
          "Fail to install snapshot at peer=", "Fail to check install snapshot connection"),
      "com.alipay.sofa.jraft.core.NodeImpl",
      List.of("Node {} channel init failed", "Node {} RequestVote to {} error",
          "Node {} PreVote to {} error"),
      // A replicator stopped during a leadership transfer or shutdown still gets its RPC's
      // failure: jraft says it ignores it.
      "com.alipay.sofa.jraft.util.ThreadId",
      List.of("ThreadId: {} already destroyed, ignore error code"));

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format,
      Object[] params, Throwable t) {
    if (level == null || !level.isGreaterOrEqual(Level.WARN) || logger == null) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName();
    if (name.equals(BOLT_LOGGER)) {
      return expectedNetworkFailure(t) || expectedNetworkFailure(lastThrowable(params))
          ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
    List<String> patterns = JRAFT.get(name);
    if (patterns != null && format != null) {
      for (String prefix : patterns) {
        if (format.startsWith(prefix)) {
          return FilterReply.DENY;
        }
      }
    }
    return FilterReply.NEUTRAL;
  }

  /** SLF4J passes an event's exception as its last argument. */
  private static Throwable lastThrowable(Object[] params) {
    return params != null && params.length > 0 && params[params.length - 1] instanceof Throwable e
        ? e : null;
  }

  /** An I/O failure somewhere in the cause chain, and no TLS failure. */
  static boolean expectedNetworkFailure(Throwable t) {
    boolean io = false;
    for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof SSLException) {
        return false;
      }
      io |= t instanceof IOException;
    }
    return io;
  }
}
