package raftkv.core;

import com.alipay.sofa.jraft.JRaftUtils;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import com.alipay.sofa.jraft.util.ThreadPoolUtil;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * The Raft RPC server of one node, bound to its listen address, which may differ from its
 * Raft identity (see {@link RaftNodeOptions#raftListenAddress()}): jraft identifies a node by
 * its peer id alone, so a server on another port serves it as long as whatever listens on
 * the identity address forwards there.
 *
 * <p>Built as jraft's 3-argument {@code RaftGroupService} constructor builds its own (the
 * Raft and CLI processors on executors of the configured sizes), but this class owns the
 * executors and stops them in {@link #close}, where jraft would leave them running.
 *
 * <p>Bolt (jraft's transport) binds {@code 0.0.0.0:port}: it uses only the port of the
 * address it is given (jraft 1.4.1 {@code BoltRaftRpcFactory.createRpcServer} passes the port
 * alone to Bolt's {@code RpcServer(port, ...)}).
 *
 * <p>With {@link RaftTlsOptions} the server speaks TLS only ({@link RaftTls#configureServer}):
 * it is created as {@code RaftRpcServerFactory.createRaftRpcServer} creates it, but with
 * jraft's {@code ConfigHelper} hook, which runs before Bolt starts.
 *
 * <p>Ownership: {@code RaftGroupService.shutdown} stops {@link #server} (it is not shared);
 * {@link #close} stops the executors afterwards. Not thread-safe: used by {@link RaftNode}'s
 * start and close only.
 */
final class RaftTransport implements AutoCloseable {
  final RpcServer server;
  private final ThreadPoolExecutor raftExecutor;
  private final ThreadPoolExecutor cliExecutor;

  private RaftTransport(RpcServer server, ThreadPoolExecutor raftExecutor,
      ThreadPoolExecutor cliExecutor) {
    this.server = server;
    this.raftExecutor = raftExecutor;
    this.cliExecutor = cliExecutor;
  }

  /**
   * A server for {@code listenAddress}, not yet bound: RaftGroupService.start binds it. With
   * {@code tls} enabled it accepts TLS connections only.
   */
  static RaftTransport create(String listenAddress, NodeOptions nodeOptions, RaftTlsOptions tls) {
    ThreadPoolExecutor raft = executor("RAFT-RPC-executor-", nodeOptions.getRaftRpcThreadPoolSize());
    ThreadPoolExecutor cli = executor("CLI-RPC-executor-", nodeOptions.getCliRpcThreadPoolSize());
    RpcServer server = RpcFactoryHelper.rpcFactory().createRpcServer(
        PeerId.parsePeer(listenAddress).getEndpoint(),
        created -> RaftTls.configureServer(created, tls));
    RaftRpcServerFactory.addRaftRequestProcessors(server, raft, cli);
    return new RaftTransport(server, raft, cli);
  }

  /** As jraft's JRaftUtils.createExecutor, but typed so that it can be shut down. */
  private static ThreadPoolExecutor executor(String prefix, int threads) {
    return ThreadPoolUtil.newBuilder().poolName(prefix).enableMetric(true)
        .coreThreads(threads).maximumThreads(threads).keepAliveSeconds(60L)
        .workQueue(new SynchronousQueue<>()).threadFactory(JRaftUtils.createThreadFactory(prefix))
        .build();
  }

  /**
   * For a start that failed before RaftGroupService owned the server: stops it if it got as
   * far as binding, then the executors.
   */
  void abandon() {
    try {
      server.shutdown();
    } catch (RuntimeException notStarted) {
      // Bolt refuses to stop a server that never started: nothing is bound then.
    }
    close();
  }

  @Override
  public void close() {
    raftExecutor.shutdown();
    cliExecutor.shutdown();
  }
}
