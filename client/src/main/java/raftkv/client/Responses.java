package raftkv.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetResponse;
import raftkv.v1.KeyValue;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeResponse;
import raftkv.v1.TxnResponse;

/**
 * Plain-Java views of the responses the facets return, for callers who use string keys and
 * values:
 *
 * <pre>{@code
 * import static raftkv.client.Responses.sessionToken;
 * import static raftkv.client.Responses.valueUtf8;
 *
 * PutResponse put = kv.put("greeting", "hello");
 * Optional<String> value = valueUtf8(kv.get("greeting"));   // Optional[hello]
 * String token = sessionToken(put);                          // for KvClient.session(token)
 * }</pre>
 *
 * <p>{@code sessionToken} is the one way to get the token from any response: writes carry it
 * in {@code session_token}, reads in {@code meta.session_token}, and a transaction in either,
 * depending on whether it wrote. Within a {@link Session}, {@link Session#token()} already
 * holds the latest one of all its calls.
 *
 * <p>Strings are decoded as UTF-8; bytes that are not UTF-8 become U+FFFD. Stateless.
 */
public final class Responses {
  private Responses() {}

  /** The value as UTF-8 text; empty when the key was not found. */
  public static Optional<String> valueUtf8(GetResponse got) {
    return got.getFound() ? Optional.of(got.getKv().getValue().toStringUtf8()) : Optional.empty();
  }

  /** The page's keys and values as UTF-8 text, in key order. */
  public static Map<String, String> entriesUtf8(RangeResponse page) {
    Map<String, String> entries = new LinkedHashMap<>();
    for (KeyValue kv : page.getKvsList()) {
      entries.put(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8());
    }
    return entries;
  }

  /** The session token for the index at which the put was applied. */
  public static String sessionToken(PutResponse put) {
    return put.getSessionToken();
  }

  /** The session token for the index at which the delete was applied. */
  public static String sessionToken(DeleteResponse delete) {
    return delete.getSessionToken();
  }

  /** The session token for the index the serving node had applied when it answered. */
  public static String sessionToken(GetResponse got) {
    return got.getMeta().getSessionToken();
  }

  /** The session token for the index the serving node had applied when it answered. */
  public static String sessionToken(RangeResponse page) {
    return page.getMeta().getSessionToken();
  }

  /**
   * The session token of a writing transaction (for its index), or of a reading one (for the
   * index its serving node had applied).
   */
  public static String sessionToken(TxnResponse txn) {
    return txn.getSessionToken().isEmpty() ? txn.getMeta().getSessionToken()
        : txn.getSessionToken();
  }
}
