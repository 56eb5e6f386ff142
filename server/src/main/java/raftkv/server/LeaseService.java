package raftkv.server;

import raftkv.core.RaftNode;
import raftkv.v1.LeaseGrpc;

/** The Lease service. Not built yet: every call is answered UNIMPLEMENTED. */
final class LeaseService extends LeaseGrpc.LeaseImplBase {
  LeaseService(String nodeId, RaftNode node, Errors errors, long clusterId) {}
}
