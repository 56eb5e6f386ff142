package raftkv.server;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import raftkv.v1.Member;

/**
 * Maps jraft's peers (Raft addresses) to the members operators and clients know (ids and
 * gRPC addresses). Immutable; built from the configured peers.
 */
final class Members {
  private final Map<String, PeerSpec> byRaftAddress;

  Members(List<PeerSpec> peers) {
    this.byRaftAddress = peers.stream()
        .collect(Collectors.toUnmodifiableMap(PeerSpec::raftAddress, Function.identity()));
  }

  /** The member at this Raft address; an address not configured here is its own id. */
  Member member(String raftAddress) {
    PeerSpec spec = byRaftAddress.get(raftAddress);
    return spec == null
        ? Member.newBuilder().setId(raftAddress).setRaftAddress(raftAddress).build()
        : Member.newBuilder().setId(spec.id()).setRaftAddress(raftAddress)
            .setGrpcAddress(spec.grpcAddress()).build();
  }

  List<Member> members(List<String> raftAddresses) {
    return raftAddresses.stream().map(this::member).toList();
  }
}
