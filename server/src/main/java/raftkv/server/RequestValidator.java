package raftkv.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import raftkv.v1.Compare;
import raftkv.reads.ReadRequirement;
import raftkv.token.SessionToken;
import raftkv.v1.Consistency;
import raftkv.v1.LagPolicy;
import raftkv.v1.DeleteRequest;
import raftkv.v1.GetRequest;
import raftkv.v1.LeaseGrantRequest;
import raftkv.v1.PutRequest;
import raftkv.v1.RangeRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WriteId;

/**
 * Checks every request before it is proposed or served, so that apply never meets a bad
 * command and a refused request leaves no trace. Each refusal says what is wrong and, for a
 * limit, what the limit is. Stateless and thread-safe.
 */
final class RequestValidator {
  private static final int MAX_CLIENT_ID_CHARS = 64;
  static final long DEFAULT_WAIT_BUDGET_MS = 1000;
  static final long MAX_WAIT_BUDGET_MS = 60_000;
  /** Lease TTL bounds: a second (a keep-alive round trip must fit), and 30 days. */
  static final long MIN_LEASE_TTL_MS = 1000;
  static final long MAX_LEASE_TTL_MS = 2_592_000_000L;
  private final Limits limits;
  private final long clusterId;

  RequestValidator(Limits limits) {
    this(limits, 0);
  }

  /** @param clusterId session tokens of any other cluster are refused */
  RequestValidator(Limits limits, long clusterId) {
    this.limits = limits;
    this.clusterId = clusterId;
  }

  void put(PutRequest req) {
    common(req);
    key("key", req.getKey());
    value("value", req.getValue());
    writeId(req.getWriteId());
  }

  void leaseGrant(LeaseGrantRequest req) {
    common(req);
    if (req.getTtlMs() < MIN_LEASE_TTL_MS || req.getTtlMs() > MAX_LEASE_TTL_MS) {
      throw new InvalidRequest("ttl_ms must be between " + MIN_LEASE_TTL_MS + " and "
          + MAX_LEASE_TTL_MS + " ms (1 second to 30 days), got " + req.getTtlMs());
    }
    writeId(req.getWriteId());
  }

  /** A request naming lease {@code id} (revoke, info). */
  void leaseId(Message req, long id) {
    common(req);
    if (id == 0) {
      throw new InvalidRequest("id is 0: give the id LeaseGrant returned (0 means no lease)");
    }
  }

  ReadRequirement get(GetRequest req) {
    common(req);
    key("key", req.getKey());
    return read(req.getRead());
  }

  void delete(DeleteRequest req) {
    common(req);
    key("key", req.getKey());
    writeId(req.getWriteId());
  }

  ReadRequirement range(RangeRequest req) {
    common(req);
    if (req.getLimit() < 0) {
      throw new InvalidRequest("limit must be >= 0 (0 = the server's page size, "
          + limits.maxRangeLimit() + "), got " + req.getLimit());
    }
    if (req.getLimit() > limits.maxRangeLimit()) {
      throw new InvalidRequest("limit " + req.getLimit() + " is over the maximum page of "
          + limits.maxRangeLimit() + " keys; page with the continuation token instead");
    }
    if (!req.getPrefix().isEmpty() && (!req.getStart().isEmpty() || !req.getEnd().isEmpty())) {
      throw new InvalidRequest("give either prefix or start/end, not both");
    }
    boundedKey("prefix", req.getPrefix());
    boundedKey("start", req.getStart());
    boundedKey("end", req.getEnd());
    return read(req.getRead());
  }

  /** @return the read requirement, meaningful only when the transaction is read-only */
  ReadRequirement txn(TxnRequest req) {
    common(req);
    int ops = req.getComparesCount() + req.getSuccessCount() + req.getFailureCount();
    if (ops > limits.maxTxnOps()) {
      throw new InvalidRequest("transaction has " + ops + " operations (compares + success + "
          + "failure); the limit is " + limits.maxTxnOps());
    }
    for (int i = 0; i < req.getComparesCount(); i++) {
      compare("compares[" + i + "]", req.getCompares(i));
    }
    ops("success", req.getSuccessList());
    ops("failure", req.getFailureList());
    ReadRequirement requirement = read(req.getRead());
    if (!raftkv.core.KvStore.isReadOnly(req)) {
      // Whether a transaction's writes happen depends on its compares when it is applied, so
      // a retry without an id could apply the other branch, or this one twice. Put and
      // Delete may go without one (see kv.proto).
      if (req.getWriteId().getClientId().isEmpty()) {
        throw new InvalidRequest("write_id is required when a transaction writes (a put or "
            + "delete in success or failure): set write_id.client_id and write_id.sequence so "
            + "that a retry is applied once; nothing was done");
      }
      writeId(req.getWriteId());
    }
    return requirement;
  }

  private void compare(String where, Compare c) {
    key(where + ".key", c.getKey());
    switch (c.getTarget()) {
      case VALUE:
        value(where + ".value", c.getValue());
        break;
      case VERSION:
        break;
      case EXISTS:
        if (c.getOp() != Compare.Operator.EQUAL && c.getOp() != Compare.Operator.NOT_EQUAL) {
          throw new InvalidRequest(where + ": an EXISTS compare takes EQUAL or NOT_EQUAL, got "
              + c.getOp());
        }
        break;
      default:
        throw new InvalidRequest(where + ": target must be VALUE, VERSION or EXISTS, got "
            + (c.getTarget() == Compare.Target.UNRECOGNIZED ? c.getTargetValue() : c.getTarget()));
    }
    if (c.getOp() == Compare.Operator.OPERATOR_UNSPECIFIED
        || c.getOp() == Compare.Operator.UNRECOGNIZED) {
      throw new InvalidRequest(where + ": op must be EQUAL, NOT_EQUAL, GREATER or LESS, got "
          + (c.getOp() == Compare.Operator.UNRECOGNIZED ? c.getOpValue() : c.getOp()));
    }
  }

  private void ops(String branch, List<RequestOp> ops) {
    for (int i = 0; i < ops.size(); i++) {
      RequestOp op = ops.get(i);
      String where = branch + "[" + i + "]";
      switch (op.getOpCase()) {
        case PUT:
          key(where + ".put.key", op.getPut().getKey());
          value(where + ".put.value", op.getPut().getValue());
          break;
        case DELETE:
          key(where + ".delete.key", op.getDelete().getKey());
          break;
        case GET:
          key(where + ".get.key", op.getGet().getKey());
          break;
        default:
          throw new InvalidRequest(where + ": the op is empty; set put, delete or get");
      }
    }
  }

  /** The read options of a Get (or any read), checked and decoded. */
  ReadRequirement read(ReadOptions read) {
    Consistency level = read.getConsistency();
    if (level == Consistency.UNRECOGNIZED) {
      throw new InvalidRequest("unknown consistency level " + read.getConsistencyValue()
          + "; use LINEARIZABLE, SESSION, BOUNDED_STALENESS or EVENTUAL");
    }
    if (read.getLagPolicy() == LagPolicy.UNRECOGNIZED) {
      throw new InvalidRequest("unknown lag_policy " + read.getLagPolicyValue()
          + "; use WAIT, FALLBACK or FAIL");
    }
    // uint32 on the wire: Java reads 2^31 and above as negative.
    long waitBudgetMs = Integer.toUnsignedLong(read.getWaitBudgetMs());
    if (waitBudgetMs > MAX_WAIT_BUDGET_MS) {
      throw new InvalidRequest("wait_budget_ms " + waitBudgetMs + " is over the limit of "
          + MAX_WAIT_BUDGET_MS + " ms");
    }
    long budget = read.getLagPolicy() == LagPolicy.FAIL ? 0
        : waitBudgetMs == 0 ? DEFAULT_WAIT_BUDGET_MS : waitBudgetMs;
    long needed = 0;
    if (!read.getSessionToken().isEmpty()) {
      if (level != Consistency.SESSION) {
        throw new InvalidRequest("session_token is only read at consistency SESSION, not " + level);
      }
      needed = tokenIndex(read.getSessionToken());
    }
    atMostSigned("max_lag_entries", read.getMaxLagEntries());
    atMostSigned("max_lag_ms", read.getMaxLagMs());
    if (level == Consistency.BOUNDED_STALENESS) {
      if (read.getMaxLagEntries() == 0 && read.getMaxLagMs() == 0) {
        throw new InvalidRequest("BOUNDED_STALENESS needs max_lag_entries or max_lag_ms (or both)");
      }
    } else if (read.getMaxLagEntries() != 0 || read.getMaxLagMs() != 0) {
      throw new InvalidRequest("max_lag_entries and max_lag_ms apply only to BOUNDED_STALENESS");
    }
    return new ReadRequirement(level, needed, read.getMaxLagEntries(), read.getMaxLagMs(), budget);
  }

  /** The index of a session token of this cluster; refuses a malformed or foreign one. */
  long tokenIndex(String text) {
    SessionToken token;
    try {
      token = SessionToken.parse(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequest(e.getMessage());
    }
    if (token.clusterId() != clusterId) {
      throw new InvalidRequest("session token belongs to cluster "
          + SessionToken.clusterIdText(token.clusterId()) + ", this is cluster "
          + SessionToken.clusterIdText(clusterId) + "; start a new session for this cluster");
    }
    return token.index();
  }

  private void writeId(WriteId id) {
    String clientId = id.getClientId();
    if (clientId.isEmpty()) {
      if (id.getSequence() != 0 || id.getAckedBelow() != 0) {
        throw new InvalidRequest("write_id.sequence is set but write_id.client_id is empty");
      }
      return;
    }
    if (clientId.length() > MAX_CLIENT_ID_CHARS) {
      throw new InvalidRequest("write_id.client_id is " + clientId.length()
          + " characters; the limit is " + MAX_CLIENT_ID_CHARS);
    }
    for (int i = 0; i < clientId.length(); i++) {
      char ch = clientId.charAt(i);
      if (ch < 0x21 || ch > 0x7e) {
        throw new InvalidRequest("write_id.client_id must be printable ASCII without spaces");
      }
    }
    if (id.getSequence() == 0) {
      throw new InvalidRequest("write_id.sequence must be >= 1 when client_id is set");
    }
    // uint64 on the wire, compared unsigned as the exactly-once table does.
    if (Long.compareUnsigned(id.getAckedBelow(), id.getSequence()) > 0) {
      throw new InvalidRequest("write_id.acked_below (" + Long.toUnsignedString(id.getAckedBelow())
          + ") must be <= write_id.sequence (" + Long.toUnsignedString(id.getSequence()) + ")");
    }
  }

  /**
   * A uint64 bound that Java reads as a signed long: values of 2^63 and above arrive negative
   * and would turn "at most this much" into "never" (or "always"). Refused instead.
   */
  static void atMostSigned(String field, long value) {
    if (value < 0) {
      throw new InvalidRequest(field + " " + Long.toUnsignedString(value) + " is out of range; "
          + "the limit is " + Long.MAX_VALUE);
    }
  }

  void key(String field, ByteString key) {
    if (key.isEmpty()) {
      throw new InvalidRequest(field + " is empty; keys are 1.." + limits.maxKeyBytes() + " bytes");
    }
    boundedKey(field, key);
  }

  void boundedKey(String field, ByteString key) {
    if (key.size() > limits.maxKeyBytes()) {
      throw new InvalidRequest(field + " is " + key.size() + " bytes; the limit is "
          + limits.maxKeyBytes() + " bytes");
    }
  }

  private void value(String field, ByteString value) {
    if (value.size() > limits.maxValueBytes()) {
      throw new InvalidRequest(field + " is " + value.size() + " bytes; the limit is "
          + limits.maxValueBytes() + " bytes");
    }
  }

  void common(Message req) {
    int size = req.getSerializedSize();
    if (size > limits.maxRequestBytes()) {
      throw new InvalidRequest("request is " + size + " bytes; the limit is "
          + limits.maxRequestBytes() + " bytes");
    }
    requireKnownFields(req);
  }

  /** Refuses a message carrying a field this server does not know (see {@link #unknownField}). */
  static void requireKnownFields(Message req) {
    String unknown = unknownField(req);
    if (unknown != null) {
      throw new InvalidRequest("request has a field this server does not know or with the "
          + "wrong wire type: " + unknown + "; nothing was done");
    }
  }

  /**
   * Finds a field the schema does not define, or a known field number sent with the wrong
   * wire type (protobuf parks both among the unknown fields). Null when there is none.
   */
  private static String unknownField(Message message) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      return "#" + message.getUnknownFields().asMap().keySet().iterator().next();
    }
    for (FieldDescriptor field : messageFields(message.getDescriptorForType())) {
      if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        for (int i = 0; i < count; i++) {
          String found = unknownField((Message) message.getRepeatedField(field, i));
          if (found != null) {
            return field.getName() + "[" + i + "]." + found;
          }
        }
      } else if (message.hasField(field)) {
        String found = unknownField((Message) message.getField(field));
        if (found != null) {
          return field.getName() + "." + found;
        }
      }
    }
    return null;
  }

  /**
   * The message-typed fields of each message type, listed once: only they can hold nested
   * unknown fields, and asking protobuf for every set field ({@code getAllFields}, by
   * reflection, into a fresh map) was 6 % of a learner's CPU under session reads.
   */
  private static final ConcurrentMap<Descriptor, List<FieldDescriptor>> MESSAGE_FIELDS =
      new ConcurrentHashMap<>();

  private static List<FieldDescriptor> messageFields(Descriptor type) {
    return MESSAGE_FIELDS.computeIfAbsent(type, t -> t.getFields().stream()
        .filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE).toList());
  }
}
