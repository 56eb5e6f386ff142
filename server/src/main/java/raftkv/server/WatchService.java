package raftkv.server;

import raftkv.core.RaftNode;
import raftkv.reads.ReadPath;
import raftkv.v1.WatchGrpc;

/** The Watch service. Not built yet: every call is answered UNIMPLEMENTED. */
final class WatchService extends WatchGrpc.WatchImplBase {
  WatchService(String nodeId, RaftNode node, ReadPath reads, Limits limits, Errors errors,
      long clusterId) {}
}
