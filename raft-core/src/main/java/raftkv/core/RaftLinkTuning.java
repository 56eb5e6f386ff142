package raftkv.core;

import com.alipay.sofa.jraft.option.RaftOptions;

/**
 * Sizes replication to peers so that a command at the API's limit is replicated like a small
 * one: it neither makes the link to a peer refuse the next RPC nor lets a pipeline of such
 * commands fill a node's heap.
 *
 * <p>What went wrong with jraft 1.4.1's defaults, for a 1.5 MiB command (a request at the
 * default limits):
 *
 * <ul>
 *   <li>An AppendEntries request carries up to {@link #MAX_BODY_BYTES} of entries plus the
 *       entry that crosses it, so one such entry makes a ~2 MiB request. jraft sets the Raft
 *       client's write-buffer high water mark to 512 KiB ({@code BoltRaftRpcFactory}), so
 *       the link is unwritable until those bytes drain, and Bolt refuses every RPC to the peer
 *       meanwhile ({@code DefaultConnectionManager.check}: "maybe write overflow"; jraft's
 *       {@code checkConnection} then fails too). Each refusal resets the replicator (the
 *       large entry is sent again) and a refused heartbeat does not renew the leader's lease:
 *       under load the leader lost both followers and stepped down. A request below 512 KiB
 *       never does this on its own.
 *   <li>The pipeline holds up to {@code maxReplicatorInflightMsgs} requests per peer (256 by
 *       default), each kept on the leader until answered: 256 x 2 MiB. Raising the water mark
 *       alone let a leader with a 256 MiB heap run out of memory while a follower caught up.
 * </ul>
 *
 * So the pipeline is bounded to {@link #PIPELINE_DEPTH} requests (at most
 * {@link #maxInFlightBytes()} per peer), and the water marks hold a full pipeline, so that only
 * the pipeline bound, which waits instead of failing, throttles a peer. Small commands lose
 * nothing: a request batches up to 1024 entries, so 8 in flight carry far more than the
 * leader proposes in one round trip.
 *
 * <p>Every node of a group uses these values: a follower closes a link whose responses queue
 * up beyond its own {@code maxReplicatorInflightMsgs}. Stateless.
 */
final class RaftLinkTuning {
  /** The largest command (log entry) raftkv proposes; the server's request limit is held below it. */
  static final int MAX_COMMAND_BYTES = 4 << 20;
  /** Entries per AppendEntries request stop at this size (jraft's default, set explicitly). */
  static final int MAX_BODY_BYTES = 512 << 10;
  /** AppendEntries requests in flight per peer (jraft's default: 256). */
  static final int PIPELINE_DEPTH = 8;
  /** Above this many unsent bytes the link refuses RPCs: a full pipeline of maximal requests. */
  static final int WRITE_BUFFER_HIGH_WATER_MARK = PIPELINE_DEPTH * (MAX_BODY_BYTES + MAX_COMMAND_BYTES)
      + (1 << 20);
  /** The link takes RPCs again below this. */
  static final int WRITE_BUFFER_LOW_WATER_MARK = WRITE_BUFFER_HIGH_WATER_MARK / 2;

  private RaftLinkTuning() {}

  /** The most bytes of AppendEntries one peer can have in flight. */
  static long maxInFlightBytes() {
    return (long) PIPELINE_DEPTH * (MAX_BODY_BYTES + MAX_COMMAND_BYTES);
  }

  /** On the options of every node, before it starts. */
  static void apply(RaftOptions options) {
    options.setMaxBodySize(MAX_BODY_BYTES);
    options.setMaxReplicatorInflightMsgs(PIPELINE_DEPTH);
  }

  /**
   * A Bolt client for a node's Raft client ({@code new BoltRpcClient(newBoltClient())}) whose
   * write-buffer water marks are ours. jraft's {@code BoltRpcClient.init} sets its own (from the
   * JVM-wide system properties {@code bolt.channel_write_buf_*_water_mark}, read once when
   * jraft's factory class loads) just before it starts the client, so no option set earlier
   * survives; this client keeps ours instead. Per client: other Bolt users in the JVM keep
   * theirs.
   */
  static com.alipay.remoting.rpc.RpcClient newBoltClient() {
    return new TunedBoltClient();
  }

  private static final class TunedBoltClient extends com.alipay.remoting.rpc.RpcClient {
    /** jraft's {@code BoltRpcClient.init} calls this with its own marks before startup. */
    @Override
    public void initWriteBufferWaterMark(int low, int high) {
      super.initWriteBufferWaterMark(WRITE_BUFFER_LOW_WATER_MARK, WRITE_BUFFER_HIGH_WATER_MARK);
    }
  }
}
