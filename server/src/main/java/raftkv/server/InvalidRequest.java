package raftkv.server;

/** A request refused before it reaches Raft; becomes INVALID_ARGUMENT with this message. */
final class InvalidRequest extends RuntimeException {
  InvalidRequest(String message) {
    super(message, null, false, false);
  }
}
