package raftkv.server;

import com.google.protobuf.ByteString;
import raftkv.reads.ReadRequirement;
import raftkv.v1.Consistency;
import raftkv.v1.WatchRequest;

/**
 * Checks a Watch request and decodes it into a {@link WatchSpec}; every refusal is an
 * {@link InvalidRequest} naming the field and the rule. Stateless and thread-safe.
 */
final class WatchRequests {
  static final long MIN_PROGRESS_INTERVAL_MS = 100;
  static final long MAX_PROGRESS_INTERVAL_MS = 600_000;

  private final RequestValidator validator;

  WatchRequests(RequestValidator validator) {
    this.validator = validator;
  }

  WatchSpec validate(WatchRequest req) {
    validator.common(req);
    KeyFilter filter = filter(req);
    long interval = Integer.toUnsignedLong(req.getProgressIntervalMs());
    if (interval != 0
        && (interval < MIN_PROGRESS_INTERVAL_MS || interval > MAX_PROGRESS_INTERVAL_MS)) {
      throw new InvalidRequest("progress_interval_ms is " + interval + "; give 0 (the server's "
          + "default) or " + MIN_PROGRESS_INTERVAL_MS + ".." + MAX_PROGRESS_INTERVAL_MS);
    }
    ReadRequirement read = validator.read(req.getRead());
    long startAfter;
    switch (req.getStartCase()) {
      case START_AFTER_INDEX:
        RequestValidator.atMostSigned("start_after_index", req.getStartAfterIndex());
        startAfter = req.getStartAfterIndex();
        break;
      case START_AFTER_TOKEN:
        try {
          startAfter = validator.tokenIndex(req.getStartAfterToken());
        } catch (InvalidRequest e) {
          throw new InvalidRequest("start_after_token: " + e.getMessage());
        }
        break;
      default:
        return new WatchSpec(filter, read, WatchSpec.FROM_NOW, interval);
    }
    // The stream replays history up to where this node is: it must have applied the start,
    // as a SESSION read with that token must (and a session token in `read` too, if any).
    ReadRequirement admission = new ReadRequirement(Consistency.SESSION,
        Math.max(startAfter, read.neededIndex()), 0, 0, read.waitBudgetMs());
    return new WatchSpec(filter, admission, startAfter, interval);
  }

  private KeyFilter filter(WatchRequest req) {
    int given = (req.getKey().isEmpty() ? 0 : 1) + (req.getPrefix().isEmpty() ? 0 : 1)
        + (req.getRangeStart().isEmpty() ? 0 : 1);
    if (given != 1) {
      throw new InvalidRequest("give exactly one of key, prefix or range_start (got " + given
          + "); to watch every key use range_start = 0x00");
    }
    if (!req.getRangeEnd().isEmpty() && req.getRangeStart().isEmpty()) {
      throw new InvalidRequest("range_end is set without range_start");
    }
    if (!req.getKey().isEmpty()) {
      validator.key("key", req.getKey());
      return KeyFilter.key(req.getKey());
    }
    if (!req.getPrefix().isEmpty()) {
      validator.boundedKey("prefix", req.getPrefix());
      return KeyFilter.prefix(req.getPrefix());
    }
    validator.boundedKey("range_start", req.getRangeStart());
    validator.boundedKey("range_end", req.getRangeEnd());
    ByteString end = req.getRangeEnd();
    if (!end.isEmpty()
        && ByteString.unsignedLexicographicalComparator().compare(end, req.getRangeStart()) <= 0) {
      throw new InvalidRequest("range_end must be above range_start (or empty: to the last key)");
    }
    return KeyFilter.range(req.getRangeStart(), end);
  }
}
