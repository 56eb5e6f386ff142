package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
        "Ops: 'put KEY VALUE', 'delete KEY', 'get KEY'."},
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv txn --cluster /tmp/kv --if 'value(k) == old' --then 'put k new'"
            + "   # compare-and-set",
        "  raftkv txn --cluster /tmp/kv --if 'missing(lock)' --then 'put lock me' --else 'get lock'",
        "  raftkv txn --cluster /tmp/kv --if 'version(k) == 7' --then 'delete k' --then 'put k2 v'"})
final class TxnCommand extends DataCommand {
  private static final Pattern VALUE_OR_VERSION =
      Pattern.compile("\\s*(value|version)\\((.+)\\)\\s*(==|!=|>|<)\\s*(.*)");
  private static final Pattern EXISTENCE = Pattern.compile("\\s*(exists|missing)\\((.+)\\)\\s*");

  @Option(names = "--if", paramLabel = "COMPARE",
      description = "A condition; repeat for several, all must hold: 'value(KEY) OP TEXT', "
          + "'version(KEY) OP N', 'exists(KEY)' or 'missing(KEY)'. None: the --then ops run.")
  List<String> compares = new ArrayList<>();

  @Option(names = "--then", paramLabel = "OP",
      description = "An op to run when every --if holds; repeat for several, run in order: "
          + "'put KEY VALUE', 'delete KEY' or 'get KEY'.")
  List<String> success = new ArrayList<>();

  @Option(names = "--else", paramLabel = "OP",
      description = "An op to run when an --if does not hold; repeat for several (same forms "
          + "as --then).")
  List<String> failure = new ArrayList<>();

  @Override
  void run(KvClient client) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    compares.forEach(c -> txn.addCompares(compare(c)));
    success.forEach(o -> txn.addSuccess(op(o)));
    failure.forEach(o -> txn.addFailure(op(o)));
    TxnResponse r = session.blocking().txn(txn.build());

    List<Object> results = new ArrayList<>();
    StringBuilder human = new StringBuilder(r.getSucceeded() ? "SUCCEEDED" : "FAILED");
    List<RequestOp> ran = r.getSucceeded() ? txn.getSuccessList() : txn.getFailureList();
    for (int i = 0; i < r.getResponsesCount(); i++) {
      ResponseOp op = r.getResponses(i);
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
      human.append('\n').append(describe(op, i < ran.size() ? ran.get(i) : null));
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

  /** One op's result for people: "put k ok", "delete k: deleted", "get k = v (version 7)". */
  private static String describe(ResponseOp op, RequestOp request) {
    String key = request == null ? "" : " " + keyOf(request).toStringUtf8();
    return switch (op.getOpCase()) {
      case PUT -> "put" + key + " ok";
      case DELETE -> "delete" + key + (op.getDelete().getDeleted() ? ": deleted" : ": no such key");
      case GET -> op.getGet().getFound()
          ? "get" + key + " = " + op.getGet().getKv().getValue().toStringUtf8() + " (version "
              + op.getGet().getKv().getVersion() + ")"
          : "get" + key + ": not found";
      default -> op.getOpCase().name().toLowerCase(Locale.ROOT);
    };
  }

  private static ByteString keyOf(RequestOp request) {
    return switch (request.getOpCase()) {
      case PUT -> request.getPut().getKey();
      case DELETE -> request.getDelete().getKey();
      case GET -> request.getGet().getKey();
      default -> ByteString.EMPTY;
    };
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
