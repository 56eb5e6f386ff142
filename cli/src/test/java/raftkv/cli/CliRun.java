package raftkv.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Runs {@code raftkv} in-process as a user would from a shell: given arguments, standard
 * input and environment (empty unless given, so the test runner's own RAFTKV_* variables do
 * not leak in), it returns the exit code and what was printed on standard output and error.
 * System.out, System.err and System.in are swapped for the call and always restored.
 * Calls are serialized: the streams are global.
 */
record CliRun(int exitCode, String out, String err) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static CliRun raftkv(String... args) {
    return withStdin(new byte[0], args);
  }

  static CliRun withStdin(byte[] stdin, String... args) {
    return run(Map.of(), stdin, args);
  }

  /** {@code VAR=value ... raftkv ARGS}. */
  static CliRun withEnv(Map<String, String> environment, String... args) {
    return run(environment, new byte[0], args);
  }

  private static synchronized CliRun run(Map<String, String> environment, byte[] stdin,
      String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    InputStream oldIn = System.in;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, UTF_8));
      System.setErr(new PrintStream(err, true, UTF_8));
      System.setIn(new ByteArrayInputStream(stdin));
      int code = Raftkv.run(environment, args);
      System.out.flush();
      System.err.flush();
      return new CliRun(code, out.toString(UTF_8), err.toString(UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
      System.setIn(oldIn);
    }
  }

  /** Standard output parsed as the one JSON object a {@code --json} verb prints. */
  JsonNode json() {
    try {
      return JSON.readTree(out.strip());
    } catch (IOException e) {
      throw new UncheckedIOException("stdout is not JSON: '" + out + "'; stderr: " + err, e);
    }
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
  }
}
