package raftkv.core;

import com.alipay.remoting.config.BoltClientOption;
import com.alipay.remoting.config.BoltServerOption;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcFactory;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;

/**
 * Applies {@link RaftTlsOptions} to the Bolt server and client of one node, through public
 * API only: Bolt 1.6.12's per-instance options ({@code RpcServer.option},
 * {@code RpcClient.option}) on the instances jraft 1.4.1 exposes ({@code
 * BoltRpcServer.getServer}, {@code BoltRpcClient.getRpcClient}).
 *
 * <p>Scope: per node. Bolt keeps these options on each {@code RpcServer} and {@code RpcClient}
 * instance (the client's connection factory reads them from its own client), and jraft creates
 * one server (ours, {@link RaftTransport}) and one Raft client per node ({@code
 * DefaultRaftClientService}, configured through {@link RaftkvRpcFactory} with that node's
 * {@link TlsNodeOptions}). What is process-wide: the choice of jraft's RPC factory (an SPI,
 * loaded once per JVM), and Bolt's deprecated system properties {@code bolt.server.ssl.*} and
 * {@code bolt.client.ssl.*}, which Bolt ORs into every server and client of the JVM. raftkv
 * never sets them; setting them would force TLS (with their key store) on every node.
 *
 * <p>Not covered: a jraft {@code CliService} or {@code RouteTable} builds its own client from
 * {@code CliOptions}, which carry no TLS; raftkv uses neither.
 */
final class RaftTls {
  static final String KEY_STORE_TYPE = "PKCS12";

  private RaftTls() {}

  /**
   * jraft's node options plus this node's Raft TLS. jraft hands the very instance given to
   * {@code Node.init} to the factory that creates the node's Raft client ({@code
   * NodeImpl.init} passes its options to {@code DefaultRaftClientService.init}, whose {@code
   * initRpcClient} asks {@code RaftRpcFactory.defaultJRaftClientConfigHelper(opts)}), which is
   * how {@link RaftkvRpcFactory} finds the setting of that node and no other. {@link #copy}
   * returns plain {@code NodeOptions} (jraft does not copy node options on that path); a lost
   * setting fails closed, as a TLS server refuses a plain client.
   */
  static final class TlsNodeOptions extends NodeOptions {
    private final RaftTlsOptions tls;

    TlsNodeOptions(RaftTlsOptions tls) {
      this.tls = tls;
    }

    RaftTlsOptions tls() {
      return tls;
    }
  }

  /** Refuses to go on when TLS is asked for but jraft would build its clients without it. */
  static void requireTlsCapableFactory(RaftTlsOptions tls) {
    RaftRpcFactory factory = RpcFactoryHelper.rpcFactory();
    if (tls.enabled() && !(factory instanceof RaftkvRpcFactory)) {
      throw new IllegalStateException("raftTls is set but jraft's RPC factory is "
          + factory.getClass().getName() + ", not " + RaftkvRpcFactory.class.getName()
          + " (another RaftRpcFactory with a higher SPI priority is on the classpath)");
    }
  }

  /** Before the server starts: Bolt reads the options when it accepts each connection. */
  static void configureServer(RpcServer server, RaftTlsOptions tls) {
    if (!tls.enabled()) {
      return;
    }
    if (!(server instanceof BoltRpcServer bolt)) {
      throw new IllegalStateException(
          "raftTls needs jraft's Bolt transport, got a " + server.getClass().getName());
    }
    com.alipay.remoting.rpc.RpcServer rpcServer = bolt.getServer();
    rpcServer.option(BoltServerOption.SRV_SSL_ENABLE, true);
    rpcServer.option(BoltServerOption.SRV_SSL_KEYSTORE_TYPE, KEY_STORE_TYPE);
    rpcServer.option(BoltServerOption.SRV_SSL_KEYSTORE, tls.keyStore().toString());
    rpcServer.option(BoltServerOption.SRV_SSL_KEYSTORE_PASS, tls.keyStorePassword());
    rpcServer.option(BoltServerOption.SRV_SSL_NEED_CLIENT_AUTH, tls.requireClientAuth());
  }

  /**
   * Before the client starts: Bolt reads the options when it opens each connection. Bolt's
   * client presents the key store's key (its {@code SslContextBuilder.forClient()} gets a key
   * manager as well as a trust manager), so mutual TLS needs nothing more here.
   */
  static void configureClient(RpcClient client, RaftTlsOptions tls) {
    if (!tls.enabled()) {
      return;
    }
    if (!(client instanceof BoltRpcClient bolt)) {
      throw new IllegalStateException(
          "raftTls needs jraft's Bolt transport, got a " + client.getClass().getName());
    }
    com.alipay.remoting.rpc.RpcClient rpcClient = bolt.getRpcClient();
    rpcClient.option(BoltClientOption.CLI_SSL_ENABLE, true);
    rpcClient.option(BoltClientOption.CLI_SSL_KEYSTORE_TYPE, KEY_STORE_TYPE);
    rpcClient.option(BoltClientOption.CLI_SSL_KEYSTORE, tls.keyStore().toString());
    rpcClient.option(BoltClientOption.CLI_SSL_KEYSTORE_PASS, tls.keyStorePassword());
  }
}
