package raftkv.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The run the build records cli/target/raftkv.jsa from (a class-data sharing archive, see
 * cli/pom.xml and bin/raftkv): the classes a short verb loads, so that the next JVM maps
 * them parsed and verified instead of reading ~4,000 classes out of jars. It runs, in this one
 * JVM, what a person runs most ({@code --help}, and {@code put}, {@code get}, {@code status}
 * against a {@code --cluster} directory) against a port nobody listens on, with a short
 * deadline: that loads picocli's model, logging, the client, gRPC and Netty up to the
 * connection attempt, and the cluster-file reader, without needing a server.
 *
 * <p>Never fails: a failing verb is what it expects, and any other problem only makes the
 * archive smaller. Prints one line; the verbs' own output is discarded.
 */
final class ClassDataWorkload {
  private ClassDataWorkload() {}

  public static void main(String[] args) throws IOException {
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
    Path dir = Files.createTempDirectory("raftkv-class-data");
    int ran = 0;
    try {
      String nobody = "127.0.0.1:" + closedPort();
      ClusterFile.plaintext(List.of(new ClusterFile.Node("n1", "VOTER", nobody, nobody, 0,
          dir.toString(), dir.resolve("n1.log").toString(), List.of(), null))).write(dir);
      String cluster = dir.toString();
      List<String[]> verbs = List.of(
          new String[] {"--help"},
          new String[] {"put", "--cluster", cluster, "--timeout", "300ms", "key", "value"},
          new String[] {"get", "--cluster", cluster, "--timeout", "300ms", "key"},
          new String[] {"status", "--cluster", cluster, "--timeout", "300ms"},
          new String[] {"get", "--help"});
      System.setOut(discard);
      System.setErr(discard);
      for (String[] verb : verbs) {
        Raftkv.run(verb);
        ran++;
      }
    } catch (RuntimeException | IOException e) {
      out.println("class-data workload stopped early (the archive will be smaller): " + e);
    } finally {
      System.setOut(out);
      System.setErr(err);
      Files.deleteIfExists(dir.resolve(ClusterFile.NAME));
      Files.deleteIfExists(dir);
    }
    out.println("class-data workload: ran " + ran + " verbs");
    System.exit(0);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
