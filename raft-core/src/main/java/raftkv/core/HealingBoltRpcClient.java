package raftkv.core;

import com.alipay.sofa.jraft.error.InvokeTimeoutException;
import com.alipay.sofa.jraft.error.RemotingException;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.InvokeContext;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.util.Endpoint;

/**
 * jraft's Bolt RPC client, plus {@link PoisonedPoolHealer}: wherever a connection check
 * fails or a call fails with no usable connection, a pool that can never give a connection
 * again is dropped, so that the next check or call connects afresh instead of failing until
 * Bolt expires the pool 10 minutes later.
 *
 * <p>jraft's leader re-adds a missing replicator through
 * {@code checkConnection(peer, createIfAbsent=true)} every 500 ms and a running replicator
 * sends through {@code invokeAsync}: both paths heal. A check that healed asks once more at
 * once, which starts Bolt's asynchronous connect; it still reports "not connected" and the
 * next periodic check sees the new connection. Thread-safe, as jraft's client is.
 */
final class HealingBoltRpcClient extends BoltRpcClient {
  private final PoisonedPoolHealer healer;

  HealingBoltRpcClient(com.alipay.remoting.rpc.RpcClient bolt) {
    super(bolt);
    this.healer = new PoisonedPoolHealer(bolt);
  }

  @Override
  public boolean checkConnection(Endpoint endpoint) {
    if (super.checkConnection(endpoint)) {
      return true;
    }
    healer.healIfPoisoned(endpoint.toString());
    return false;
  }

  @Override
  public boolean checkConnection(Endpoint endpoint, boolean createIfAbsent) {
    if (super.checkConnection(endpoint, createIfAbsent)) {
      return true;
    }
    if (createIfAbsent && healer.healIfPoisoned(endpoint.toString())) {
      return super.checkConnection(endpoint, true);
    }
    return false;
  }

  @Override
  public Object invokeSync(Endpoint endpoint, Object request, InvokeContext ctx, long timeoutMs)
      throws InterruptedException, RemotingException {
    try {
      return super.invokeSync(endpoint, request, ctx, timeoutMs);
    } catch (InvokeTimeoutException timedOut) {
      throw timedOut; // a connection that is slow is not a connection that is gone
    } catch (RemotingException failed) {
      healer.healIfPoisoned(endpoint.toString());
      throw failed;
    }
  }

  @Override
  public void invokeAsync(Endpoint endpoint, Object request, InvokeContext ctx,
      InvokeCallback callback, long timeoutMs) throws InterruptedException, RemotingException {
    try {
      super.invokeAsync(endpoint, request, ctx, callback, timeoutMs);
    } catch (InvokeTimeoutException timedOut) {
      throw timedOut;
    } catch (RemotingException failed) {
      healer.healIfPoisoned(endpoint.toString());
      throw failed;
    }
  }
}
