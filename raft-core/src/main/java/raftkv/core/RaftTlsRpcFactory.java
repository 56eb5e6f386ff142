package raftkv.core;

import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.impl.BoltRaftRpcFactory;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.util.SPI;

/**
 * jraft's Bolt RPC factory, plus Raft TLS for the Raft client of each node started with
 * {@link RaftTlsOptions}. Registered through jraft's SPI ({@code META-INF/services}) with a
 * higher priority than {@link BoltRaftRpcFactory}, so it is jraft's factory for the whole JVM;
 * for options without TLS (any node not started by raftkv's {@link RaftNode}, any node with
 * {@link RaftTlsOptions#OFF}) it behaves as Bolt's, except that every client it creates has
 * {@link RaftLinkTuning}'s write-buffer water marks.
 *
 * <p>The hook is jraft's own: {@code AbstractClientService.initRpcClient} creates each client
 * with {@code createRpcClient(defaultJRaftClientConfigHelper(rpcOptions))}, and the helper runs
 * before the client starts. Servers are configured by {@link RaftTransport}, which creates
 * them. Stateless and thread-safe.
 */
@SPI(priority = 10)
public final class RaftTlsRpcFactory extends BoltRaftRpcFactory {

  /** As jraft's, on a Bolt client that keeps {@link RaftLinkTuning}'s water marks. */
  @Override
  public RpcClient createRpcClient(ConfigHelper<RpcClient> helper) {
    RpcClient client = new BoltRpcClient(RaftLinkTuning.newBoltClient());
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
