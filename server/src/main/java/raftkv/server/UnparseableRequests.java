package raftkv.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * Answers a request whose bytes are not a valid message of the method's request type
 * (truncated, a malformed tag, invalid UTF-8 in a string field, nested too deep) with
 * INVALID_ARGUMENT saying what could not be parsed, and the field when it is a string that is
 * not UTF-8.
 *
 * <p>Why a wrapper: grpc-java parses a request in {@code ServerCallImpl}'s listener
 * ({@code call.method.parseRequest}), and {@code ServerImpl} closes any call whose listener
 * throws with UNKNOWN "Application error processing RPC" (logging the stack trace at SEVERE),
 * whatever the marshaller threw (grpc-java 1.83 {@code ServerImpl.JumpToApplicationThread
 * ServerStreamListener.internalClose}). So a marshaller cannot choose the status by throwing.
 * Here each method is re-registered with a request marshaller that never throws on bad bytes:
 * it returns an {@link Unparseable} value, and the handler closes such a call itself before the
 * service sees it. Everything else (schema descriptors for reflection, the response
 * marshaller, the service's own handler) is the service's own.
 *
 * <p>Stateless and thread-safe.
 */
final class UnparseableRequests {
  private UnparseableRequests() {}

  /** {@code service}, with requests that do not parse refused with INVALID_ARGUMENT. */
  static ServerServiceDefinition refuseWithInvalidArgument(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<Object, ?>> methods = service.getMethods().stream()
        .<ServerMethodDefinition<Object, ?>>map(UnparseableRequests::wrap).toList();
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder wrapped = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(wrapped::addMethod);
    return wrapped.build();
  }

  /** A request that did not parse, and why, in words for the caller. */
  record Unparseable(String description) {}

  private static <ReqT, RespT> ServerMethodDefinition<Object, RespT> wrap(
      ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
    MethodDescriptor<Object, RespT> lenient = method.toBuilder(
        new LenientMarshaller<>(method), method.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(lenient,
        new RefusingHandler<>(method, definition.getServerCallHandler()));
  }

  /** Parses as the method's own marshaller does; bad bytes become an {@link Unparseable}. */
  private static final class LenientMarshaller<ReqT> implements MethodDescriptor.Marshaller<Object> {
    private final MethodDescriptor<ReqT, ?> method;
    private final Descriptor type; // null when the marshaller is not a protobuf one

    LenientMarshaller(MethodDescriptor<ReqT, ?> method) {
      this.method = method;
      this.type = method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
          && p.getMessagePrototype() instanceof Message m ? m.getDescriptorForType() : null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public InputStream stream(Object value) {
      return method.streamRequest((ReqT) value);
    }

    @Override
    public Object parse(InputStream stream) {
      // grpc's deframed messages can be re-read; a decompressed one cannot, and then the
      // description names no field.
      boolean rewindable = stream.markSupported();
      if (rewindable) {
        stream.mark(Integer.MAX_VALUE);
      }
      try {
        return method.parseRequest(stream);
      } catch (RuntimeException e) {
        InvalidProtocolBufferException cause = protobufCause(e);
        if (cause == null) {
          throw e;
        }
        String field = rewindable ? invalidUtf8Field(stream) : null;
        String typeName = type == null ? "the request type" : type.getFullName();
        return new Unparseable(field != null
            ? field + " is not valid UTF-8 (string fields must be UTF-8): the request could not "
                + "be parsed as " + typeName + "; nothing was done"
            : "the request could not be parsed as " + typeName + " (" + cause.getMessage()
                + "); nothing was done");
      }
    }

    private String invalidUtf8Field(InputStream stream) {
      if (type == null) {
        return null;
      }
      try {
        stream.reset();
        return invalidUtf8Field(type, ByteString.readFrom(stream), "");
      } catch (IOException e) {
        return null;
      }
    }

    /**
     * The path of the first string field whose bytes are not UTF-8, reading the message as
     * raw fields (which checks no UTF-8) and descending into message fields; null if none.
     */
    private static String invalidUtf8Field(Descriptor type, ByteString bytes, String path) {
      UnknownFieldSet fields;
      try {
        fields = UnknownFieldSet.parseFrom(bytes);
      } catch (InvalidProtocolBufferException notJustUtf8) {
        return null;
      }
      for (Map.Entry<Integer, UnknownFieldSet.Field> e : fields.asMap().entrySet()) {
        FieldDescriptor field = type.findFieldByNumber(e.getKey());
        if (field == null) {
          continue;
        }
        String name = path.isEmpty() ? field.getName() : path + "." + field.getName();
        List<ByteString> values = e.getValue().getLengthDelimitedList();
        for (int i = 0; i < values.size(); i++) {
          String where = field.isRepeated() ? name + "[" + i + "]" : name;
          if (field.getType() == FieldDescriptor.Type.STRING && !values.get(i).isValidUtf8()) {
            return where;
          }
          if (field.getType() == FieldDescriptor.Type.MESSAGE) {
            String found = invalidUtf8Field(field.getMessageType(), values.get(i), where);
            if (found != null) {
              return found;
            }
          }
        }
      }
      return null;
    }

    private static InvalidProtocolBufferException protobufCause(Throwable t) {
      for (; t != null; t = t.getCause()) {
        if (t instanceof InvalidProtocolBufferException ipbe) {
          return ipbe;
        }
      }
      return null;
    }
  }

  /**
   * Starts the service's own handler on a call typed as it expects, and closes the call with
   * INVALID_ARGUMENT instead of passing on an {@link Unparseable} request.
   */
  private static final class RefusingHandler<ReqT, RespT> implements ServerCallHandler<Object, RespT> {
    private final MethodDescriptor<ReqT, RespT> method;
    private final ServerCallHandler<ReqT, RespT> next;

    RefusingHandler(MethodDescriptor<ReqT, RespT> method, ServerCallHandler<ReqT, RespT> next) {
      this.method = method;
      this.next = next;
    }

    @Override
    public ServerCall.Listener<Object> startCall(ServerCall<Object, RespT> call, Metadata headers) {
      ServerCall.Listener<ReqT> delegate = next.startCall(new TypedCall<>(call, method), headers);
      return new ServerCall.Listener<>() {
        // Listener events of one call are serialized by grpc: no synchronization needed.
        private boolean refused;

        @Override
        @SuppressWarnings("unchecked")
        public void onMessage(Object message) {
          if (refused) {
            return;
          }
          if (message instanceof Unparseable unparseable) {
            refused = true;
            call.close(Status.INVALID_ARGUMENT.withDescription(unparseable.description()),
                new Metadata());
            return;
          }
          delegate.onMessage((ReqT) message);
        }

        @Override
        public void onHalfClose() {
          if (!refused) {
            delegate.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          delegate.onCancel();
        }

        @Override
        public void onComplete() {
          delegate.onComplete();
        }

        @Override
        public void onReady() {
          if (!refused) {
            delegate.onReady();
          }
        }
      };
    }
  }

  /** The call as the service's handler expects it: its own method descriptor, same stream. */
  private static final class TypedCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final ServerCall<Object, RespT> call;
    private final MethodDescriptor<ReqT, RespT> method;

    TypedCall(ServerCall<Object, RespT> call, MethodDescriptor<ReqT, RespT> method) {
      this.call = call;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(RespT message) {
      call.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }
}
