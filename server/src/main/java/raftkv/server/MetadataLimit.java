package raftkv.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Refuses a call whose metadata (request headers) is over {@code max-inbound-metadata-bytes}
 * with INVALID_ARGUMENT naming its size and the limit.
 *
 * <p>Why not the transport's own limit alone: grpc-netty answers headers just over its hard
 * limit with a bare HTTP 431 (no gRPC status: clients report INTERNAL or UNKNOWN "HTTP status
 * code 431"), and headers well over it with a GOAWAY that closes the connection ("Socket
 * closed", taking the client's other calls with it); between a soft and the hard limit it
 * refuses only a random fraction. So the transport is given {@link #TRANSPORT_FACTOR} times the
 * limit, and this interceptor enforces the limit itself, deterministically. Only headers over
 * that multiple still meet the transport's answers.
 *
 * <p>The size is counted as HTTP/2's SETTINGS_MAX_HEADER_LIST_SIZE counts it (name + value +
 * 32 bytes per entry; binary values as their base64 text), over the metadata the call carries
 * (pseudo-headers such as :path are not in it). Stateless and thread-safe.
 */
final class MetadataLimit implements ServerInterceptor {
  /** The transport's hard limit, as a multiple of the configured one. */
  static final int TRANSPORT_FACTOR = 4;
  /** Per entry, as in RFC 7540 section 6.5.2. */
  private static final int ENTRY_OVERHEAD = 32;

  private final int maxBytes;

  MetadataLimit(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** The hard limit to give the transport for a configured limit of {@code maxBytes}. */
  static int transportLimit(int maxBytes) {
    return (int) Math.min(Integer.MAX_VALUE, (long) TRANSPORT_FACTOR * maxBytes);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    long size = size(headers);
    if (size > maxBytes) {
      call.close(Status.INVALID_ARGUMENT.withDescription("request metadata (headers) is " + size
          + " bytes; the limit is " + maxBytes + " bytes (max-inbound-metadata-bytes, counted "
          + "as name + value + 32 per entry)"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }

  static long size(Metadata headers) {
    long size = 0;
    for (String name : headers.keys()) {
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        for (byte[] value : headers.getAll(
            Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))) {
          // Unpadded base64, as grpc sends binary values.
          size += name.length() + (value.length * 4L + 2) / 3 + ENTRY_OVERHEAD;
        }
      } else {
        for (String value : headers.getAll(
            Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))) {
          size += name.length() + value.length() + ENTRY_OVERHEAD;
        }
      }
    }
    return size;
  }
}
