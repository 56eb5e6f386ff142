package raftkv.cli;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import raftkv.v1.AdminGrpc;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/**
 * The run the build records cli/target/raftkv.jsa from (a class-data sharing archive, see
 * cli/pom.xml and bin/raftkv): the classes a short verb loads, so that the next JVM maps
 * them parsed and verified instead of reading some 4,000 classes out of jars. It runs, in
 * this one JVM, what a person runs most ({@code --help}, and {@code put}, {@code get},
 * {@code status} against a {@code --cluster} directory). The "cluster" is one stub gRPC
 * server in this JVM that answers Put, Get and Status with empty messages: enough for
 * picocli's model, logging, the client, gRPC and Netty on both the request and the response
 * path, and the cluster-file reader, without starting a real node.
 *
 * <p>Never fails: an answer the verbs find odd is expected, and any other problem only makes
 * the archive smaller. Prints one line; the verbs' own output is discarded.
 */
final class ClassDataWorkload {
  private ClassDataWorkload() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
    Path dir = Files.createTempDirectory("raftkv-class-data");
    Server stub = null;
    int ran = 0;
    try {
      stub = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(new StubKv()).addService(new StubAdmin()).build().start();
      String address = "127.0.0.1:" + stub.getPort();
      ClusterFile.plaintext(List.of(new ClusterFile.Node("n1", "VOTER", address, address, 0,
          dir.toString(), dir.resolve("n1.log").toString(), List.of(), null))).write(dir);
      String cluster = dir.toString();
      List<String[]> verbs = List.of(
          new String[] {"--help"},
          new String[] {"put", "--cluster", cluster, "--timeout", "2s", "key", "value"},
          new String[] {"get", "--cluster", cluster, "--timeout", "2s", "key"},
          new String[] {"status", "--cluster", cluster, "--timeout", "2s"},
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
      if (stub != null) {
        stub.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(dir.resolve(ClusterFile.NAME));
      Files.deleteIfExists(dir);
    }
    out.println("class-data workload: ran " + ran + " verbs");
    System.exit(0);
  }

  /** Answers every Put and Get with an empty response. */
  private static final class StubKv extends KVGrpc.KVImplBase {
    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> response) {
      response.onNext(PutResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> response) {
      response.onNext(GetResponse.getDefaultInstance());
      response.onCompleted();
    }
  }

  /** Answers Status with an empty response. */
  private static final class StubAdmin extends AdminGrpc.AdminImplBase {
    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
      response.onNext(StatusResponse.getDefaultInstance());
      response.onCompleted();
    }
  }
}
