package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.client.KvClient;
import raftkv.v1.Compare;
import raftkv.v1.RequestOp;
import raftkv.v1.ResponseOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;

@Command(name = "txn", mixinStandardHelpOptions = true,
    description = {"Runs a transaction: if every --if holds, the --then ops, else the --else ops.",
        "Compares: 'value(KEY) OP TEXT', 'version(KEY) OP N' (OP: == != > <), 'exists(KEY)', "
            + "'missing(KEY)'. A missing key has version 0; a value compare on it is false.",
        "Ops: 'put KEY VALUE', 'delete KEY', 'get KEY'.",
        "Compare-and-set: raftkv txn --if 'value(k) == old' --then 'put k new'"})
final class TxnCommand extends DataCommand {
  private static final Pattern VALUE_OR_VERSION =
      Pattern.compile("\\s*(value|version)\\((.+)\\)\\s*(==|!=|>|<)\\s*(.*)");
  private static final Pattern EXISTENCE = Pattern.compile("\\s*(exists|missing)\\((.+)\\)\\s*");

  @Option(names = "--if", paramLabel = "COMPARE") List<String> compares = new ArrayList<>();
  @Option(names = "--then", paramLabel = "OP") List<String> success = new ArrayList<>();
  @Option(names = "--else", paramLabel = "OP") List<String> failure = new ArrayList<>();

  @Override
  void run(KvClient client) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    compares.forEach(c -> txn.addCompares(compare(c)));
    success.forEach(o -> txn.addSuccess(op(o)));
    failure.forEach(o -> txn.addFailure(op(o)));
    TxnResponse r = session.blocking().txn(txn.build());

    List<Object> results = new ArrayList<>();
    StringBuilder human = new StringBuilder(r.getSucceeded() ? "SUCCEEDED" : "FAILED");
    for (ResponseOp op : r.getResponsesList()) {
      Map<String, Object> m = new LinkedHashMap<>();
      switch (op.getOpCase()) {
        case PUT -> m.put("put", "ok");
        case DELETE -> m.put("deleted", op.getDelete().getDeleted());
        case GET -> {
          m.put("found", op.getGet().getFound());
          if (op.getGet().getFound()) {
            m.putAll(Json.kv(op.getGet().getKv()));
          }
        }
        default -> { }
      }
      results.add(m);
      human.append('\n').append(m);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("succeeded", r.getSucceeded());
    json.put("index", r.getIndex());
    json.put("responses", results);
    if (r.hasMeta()) {
      Json.meta(json, r.getMeta());
    }
    json.put("token", session.token());
    if (r.getIndex() > 0) {
      human.append("\nindex ").append(r.getIndex());
    }
    output.print(json, human.toString());
  }

  static Compare compare(String text) {
    Matcher m = VALUE_OR_VERSION.matcher(text);
    if (m.matches()) {
      Compare.Builder c = Compare.newBuilder().setKey(ByteString.copyFromUtf8(m.group(2).trim()))
          .setOp(operator(m.group(3)));
      if (m.group(1).equals("value")) {
        return c.setTarget(Compare.Target.VALUE).setValue(ByteString.copyFromUtf8(m.group(4))).build();
      }
      try {
        return c.setTarget(Compare.Target.VERSION).setVersion(Long.parseLong(m.group(4).trim())).build();
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--if '" + text + "': a version is a number");
      }
    }
    m = EXISTENCE.matcher(text);
    if (m.matches()) {
      return Compare.newBuilder().setKey(ByteString.copyFromUtf8(m.group(2).trim()))
          .setTarget(Compare.Target.EXISTS)
          .setOp(m.group(1).equals("exists") ? Compare.Operator.EQUAL : Compare.Operator.NOT_EQUAL)
          .build();
    }
    throw new IllegalArgumentException("--if '" + text + "' is not one of: value(KEY) OP TEXT, "
        + "version(KEY) OP N, exists(KEY), missing(KEY)");
  }

  private static Compare.Operator operator(String op) {
    return switch (op) {
      case "==" -> Compare.Operator.EQUAL;
      case "!=" -> Compare.Operator.NOT_EQUAL;
      case ">" -> Compare.Operator.GREATER;
      default -> Compare.Operator.LESS;
    };
  }

  static RequestOp op(String text) {
    String[] parts = text.trim().split("\\s+", 3);
    ByteString key = parts.length > 1 ? ByteString.copyFromUtf8(parts[1]) : ByteString.EMPTY;
    switch (parts[0]) {
      case "put":
        if (parts.length < 3) {
          throw new IllegalArgumentException("op '" + text + "': put takes KEY VALUE");
        }
        return RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(key)
            .setValue(ByteString.copyFromUtf8(parts[2]))).build();
      case "delete":
      case "del":
        return RequestOp.newBuilder().setDelete(RequestOp.Delete.newBuilder().setKey(key)).build();
      case "get":
        return RequestOp.newBuilder().setGet(RequestOp.Get.newBuilder().setKey(key)).build();
      default:
        throw new IllegalArgumentException("op '" + text + "' is not put KEY VALUE, delete KEY or get KEY");
    }
  }
}
