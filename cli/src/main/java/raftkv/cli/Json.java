package raftkv.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import raftkv.v1.KeyValue;
import raftkv.v1.ReadMeta;

/** The JSON shapes the verbs print; values are UTF-8 text. */
final class Json {
  private Json() {}

  static Map<String, Object> kv(KeyValue kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", kv.getKey().toStringUtf8());
    m.put("value", kv.getValue().toStringUtf8());
    m.put("version", kv.getVersion());
    m.put("createIndex", kv.getCreateIndex());
    return m;
  }

  static void meta(Map<String, Object> m, ReadMeta meta) {
    m.put("appliedIndex", meta.getAppliedIndex());
    m.put("servedBy", meta.getServedBy());
  }
}
