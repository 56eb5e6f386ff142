package raftkv.server;

import com.google.protobuf.Message;
import java.util.regex.Pattern;
import raftkv.v1.Member;

/**
 * Checks Admin requests before anything is looked up or proposed, as {@link RequestValidator}
 * does for KV ones: no field the server does not know, member ids and addresses in the form
 * the configuration accepts ({@link PeerSpec}) and of bounded length, so a refusal that
 * repeats a value stays short and a member record written to the log stays small. Each
 * refusal names the field. Stateless and thread-safe.
 */
final class AdminRequestValidator {
  static final int MAX_ID_CHARS = 64;
  /** A DNS name is at most 253 characters; an IPv6 literal is shorter. */
  static final int MAX_HOST_CHARS = 253;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1," + MAX_ID_CHARS + "}");
  private static final Pattern HOST_PORT =
      Pattern.compile("([^/=\\s]{1," + MAX_HOST_CHARS + "}):(\\d{1,5})");
  /** Longest excerpt of a refused value repeated in a message. */
  private static final int ECHO_CHARS = 80;

  private AdminRequestValidator() {}

  /** Any Admin request: refused if it carries a field this server does not know. */
  static void request(Message request) {
    RequestValidator.requireKnownFields(request);
  }

  /** A request naming a member by id (remove, promote, transfer leadership). */
  static void id(Message request, String field, String id) {
    request(request);
    id(field, id);
  }

  /** A request adding a member. */
  static void member(Message request, String field, Member member) {
    request(request);
    id(field + ".id", member.getId());
    hostPort(field + ".raft_address", member.getRaftAddress());
    hostPort(field + ".grpc_address", member.getGrpcAddress());
  }

  private static void id(String field, String id) {
    if (!ID.matcher(id).matches()) {
      throw new InvalidRequest(field + " must be 1.." + MAX_ID_CHARS + " characters of A-Z a-z "
          + "0-9 _ . -, got '" + echo(id) + "'");
    }
  }

  private static void hostPort(String field, String address) {
    var m = HOST_PORT.matcher(address);
    int port = m.matches() ? Integer.parseInt(m.group(2)) : -1;
    if (port < 1 || port > 65535) {
      throw new InvalidRequest(field + " must be host:port (a host of 1.." + MAX_HOST_CHARS
          + " characters without spaces, '/' or '=', a port in 1..65535), got '"
          + echo(address) + "'");
    }
  }

  private static String echo(String value) {
    return value.length() <= ECHO_CHARS ? value : value.substring(0, ECHO_CHARS - 3) + "...";
  }
}
