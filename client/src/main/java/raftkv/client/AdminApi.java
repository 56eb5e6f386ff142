package raftkv.client;

import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import raftkv.v1.AdminGrpc;
import raftkv.v1.DigestRequest;
import raftkv.v1.DigestResponse;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/**
 * Questions to one node about itself. Unlike the KV calls these are never retried or
 * redirected: the caller asked that node, and an unreachable node is the answer it needs to
 * see. Obtained from {@link KvClient#admin()}.
 *
 * <p>Thread-safe; a view of its {@link KvClient}, valid until that is closed.
 */
public final class AdminApi {
  private final Dispatcher dispatcher;
  private final Duration deadline;

  AdminApi(Dispatcher dispatcher, Duration deadline) {
    this.dispatcher = dispatcher;
    this.deadline = deadline;
  }

  /** The endpoints the client was built with, in their order. */
  public List<String> endpoints() {
    return dispatcher.router().endpoints();
  }

  /**
   * The node's role, term, leader, indexes and members, within the client's default deadline.
   *
   * @param endpoint "host:port" of the node's client API; need not be one of {@link
   *     #endpoints()}
   */
  public CompletableFuture<StatusResponse> status(String endpoint) {
    return status(endpoint, deadline);
  }

  /** {@link #status(String)} within {@code deadline}. */
  public CompletableFuture<StatusResponse> status(String endpoint, Duration deadline) {
    return once(endpoint, AdminGrpc.getStatusMethod(), StatusRequest.getDefaultInstance(),
        deadline);
  }

  /**
   * A hash of the node's replicated state at its applied index, within the client's default
   * deadline. Nodes that report the same applied index must report the same hash; the node
   * scans its whole store to compute it, so this is for convergence checks, not hot paths.
   *
   * @param endpoint "host:port" of the node's client API; need not be one of {@link
   *     #endpoints()}
   */
  public CompletableFuture<DigestResponse> digest(String endpoint) {
    return digest(endpoint, deadline);
  }

  /** {@link #digest(String)} within {@code deadline}. */
  public CompletableFuture<DigestResponse> digest(String endpoint, Duration deadline) {
    return once(endpoint, AdminGrpc.getDigestMethod(), DigestRequest.getDefaultInstance(),
        deadline);
  }

  private <Req, Resp> CompletableFuture<Resp> once(String endpoint,
      MethodDescriptor<Req, Resp> method, Req request, Duration deadline) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (!Router.isHostPort(endpoint)) {
      throw new IllegalArgumentException("endpoint must be host:port, got '" + endpoint + "'");
    }
    return dispatcher.once(endpoint, method, request, KvClient.checkDeadline(deadline));
  }

  /** {@link #status(String)}, waited for; throws {@link KvException}. */
  public StatusResponse blockingStatus(String endpoint) {
    return BlockingKv.await(status(endpoint), deadline);
  }

  /** {@link #status(String, Duration)}, waited for; throws {@link KvException}. */
  public StatusResponse blockingStatus(String endpoint, Duration deadline) {
    return BlockingKv.await(status(endpoint, deadline), deadline);
  }
}
