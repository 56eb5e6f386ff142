package raftkv.server;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One member of the group as the operator configures it: {@code id=raftHost:port/grpcHost:port},
 * with {@code /learner} appended for a non-voting replica. Immutable.
 */
public record PeerSpec(String id, String raftAddress, String grpcAddress, boolean learner) {
  private static final Pattern FORMAT =
      Pattern.compile("([A-Za-z0-9_.-]{1,64})=([^/=\\s]+:\\d{1,5})/([^/=\\s]+:\\d{1,5})(/learner)?");

  /** Parses {@code id=raftHost:port/grpcHost:port[/learner]}. */
  public static PeerSpec parse(String spec) {
    Matcher m = FORMAT.matcher(spec.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("peer '" + spec + "' is not id=raftHost:port/grpcHost:port"
          + "[/learner] (id: 1..64 of A-Z a-z 0-9 _ . -)");
    }
    return new PeerSpec(m.group(1), m.group(2), m.group(3), m.group(4) != null);
  }

  @Override
  public String toString() {
    return id + "=" + raftAddress + "/" + grpcAddress + (learner ? "/learner" : "");
  }
}
