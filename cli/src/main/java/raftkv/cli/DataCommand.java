package raftkv.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import raftkv.client.KvClient;
import raftkv.client.KvException;

/**
 * A verb that talks to the cluster: connects, runs, and turns a failure into the server's
 * message on stderr and a non-zero exit.
 */
abstract class DataCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Mixin Output output;

  abstract void run(KvClient client) throws Exception;

  @Override
  public final Integer call() throws Exception {
    try (KvClient client = connection.connect()) {
      run(client);
      return 0;
    } catch (KvException e) {
      System.err.println("raftkv: " + e.getMessage());
      return 1;
    } catch (IllegalArgumentException e) {
      System.err.println("raftkv: " + e.getMessage());
      return 2;
    }
  }
}
