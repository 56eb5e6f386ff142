package raftkv.server;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import raftkv.v1.Member;

/**
 * Maps jraft's peers (Raft addresses) to the members operators and clients know (ids and
 * gRPC addresses): the configured peers, then the members recorded through the log
 * (learners added at runtime). Thread-safe.
 */
final class Members {
  private final Map<String, PeerSpec> byRaftAddress;
  private final Supplier<Map<String, Member>> recorded;

  Members(List<PeerSpec> peers) {
    this(peers, Map::of);
  }

  Members(List<PeerSpec> peers, Supplier<Map<String, Member>> recorded) {
    this.byRaftAddress = peers.stream()
        .collect(Collectors.toUnmodifiableMap(PeerSpec::raftAddress, Function.identity()));
    this.recorded = recorded;
  }

  /** The member at this Raft address; an address known nowhere is its own id. */
  Member member(String raftAddress) {
    PeerSpec spec = byRaftAddress.get(raftAddress);
    if (spec != null) {
      return Member.newBuilder().setId(spec.id()).setRaftAddress(raftAddress)
          .setGrpcAddress(spec.grpcAddress()).build();
    }
    Member m = recorded.get().get(raftAddress);
    return m != null ? m : Member.newBuilder().setId(raftAddress).setRaftAddress(raftAddress).build();
  }

  /** The Raft address of the member with this id among {@code raftAddresses}, if any. */
  java.util.Optional<String> raftAddressOf(String id, List<String> raftAddresses) {
    return raftAddresses.stream().filter(a -> member(a).getId().equals(id)).findFirst();
  }

  List<Member> members(List<String> raftAddresses) {
    return raftAddresses.stream().map(this::member).toList();
  }
}
