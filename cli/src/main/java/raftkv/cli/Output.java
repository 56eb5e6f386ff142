package raftkv.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --json}: how a verb prints its result, for people or for scripts. */
final class Output {
  /**
   * Built on first use: creating an ObjectMapper loads some 500 classes, a cost every verb
   * (and {@code --help}, which builds every verb's options) would otherwise pay at start-up.
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  /** Prints {@code value} as JSON with --json, else the human text. */
  void print(Object value, String human) {
    System.out.println(json ? toJson(value) : human);
  }

  /** Prints {@code value} as JSON with --json, else {@code rows} as an aligned table. */
  void table(Object value, List<Map<String, Object>> rows) {
    if (json) {
      System.out.println(toJson(value));
      return;
    }
    if (rows.isEmpty()) {
      return;
    }
    List<String> columns = new ArrayList<>(rows.get(0).keySet());
    int[] widths = columns.stream().mapToInt(String::length).toArray();
    for (Map<String, Object> row : rows) {
      for (int i = 0; i < columns.size(); i++) {
        widths[i] = Math.max(widths[i], String.valueOf(row.get(columns.get(i))).length());
      }
    }
    StringBuilder out = new StringBuilder();
    appendRow(out, columns.stream().map(c -> (Object) c).toList(), widths);
    for (Map<String, Object> row : rows) {
      appendRow(out, columns.stream().map(row::get).toList(), widths);
    }
    System.out.print(out);
  }

  private static void appendRow(StringBuilder out, List<Object> cells, int[] widths) {
    for (int i = 0; i < cells.size(); i++) {
      out.append(String.format("%-" + widths[i] + "s", cells.get(i)));
      out.append(i + 1 < cells.size() ? "  " : "\n");
    }
  }

  /** Writes {@code value} to {@code file} as indented JSON. */
  static void writeJson(java.nio.file.Path file, Object value) throws java.io.IOException {
    Mapper.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), value);
  }

  static String toJson(Object value) {
    try {
      return Mapper.JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
