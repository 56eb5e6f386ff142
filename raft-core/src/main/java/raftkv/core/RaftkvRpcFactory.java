package raftkv.core;

import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.impl.BoltRaftRpcFactory;
import com.alipay.sofa.jraft.util.SPI;

/**
 * jraft's Bolt RPC factory with three changes for the Raft client of every node: clients that
 * heal connection pools Bolt has poisoned ({@link HealingBoltRpcClient}), write-buffer water
 * marks sized for commands at the API's limit ({@link RaftLinkTuning}), and Raft TLS for
 * each node started with {@link RaftTlsOptions}. Registered through jraft's SPI
 * ({@code META-INF/services}) with a higher priority than {@link BoltRaftRpcFactory}, so it
 * is jraft's factory for the whole JVM; for options without TLS (any node not started by
 * raftkv's {@link RaftNode}, any node with {@link RaftTlsOptions#OFF}) the client is Bolt's
 * plain one, healing and water marks included.
 *
 * <p>The hook is jraft's own: {@code AbstractClientService.initRpcClient} creates each client
 * with {@code createRpcClient(defaultJRaftClientConfigHelper(rpcOptions))}, and the helper runs
 * before the client starts. Servers are configured by {@link RaftTransport}, which creates
 * them. Stateless and thread-safe.
 */
@SPI(priority = 10)
public final class RaftkvRpcFactory extends BoltRaftRpcFactory {

  /**
   * As Bolt's factory builds its client (then applies {@code helper}), but healing, on a Bolt
   * client that keeps {@link RaftLinkTuning}'s water marks.
   */
  @Override
  public RpcClient createRpcClient(ConfigHelper<RpcClient> helper) {
    RpcClient client = new HealingBoltRpcClient(RaftLinkTuning.newBoltClient());
    if (helper != null) {
      helper.config(client);
    }
    return client;
  }

  @Override
  public ConfigHelper<RpcClient> defaultJRaftClientConfigHelper(RpcOptions opts) {
    if (opts instanceof RaftTls.TlsNodeOptions node && node.tls().enabled()) {
      return client -> RaftTls.configureClient(client, node.tls());
    }
    return super.defaultJRaftClientConfigHelper(opts);
  }
}
