package raftkv.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.client.KvClient;
import raftkv.client.Session;

/**
 * A verb that talks to the cluster: connects and runs in a session (new, or the one --token
 * names). A failure propagates to {@link Failures}: the server's message on stderr, exit 1
 * (2 for a bad argument).
 */
abstract class DataCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Mixin Output output;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "Continue the session this token came from (printed by an earlier put or "
          + "get): a session read then sees every write of that session.")
  String token;

  /** The session this command runs in: the --token one, or a new one. */
  Session session;

  abstract void run(KvClient client) throws Exception;

  @Override
  public final Integer call() throws Exception {
    try (KvClient client = connection.connect()) {
      session = token == null || token.isEmpty() ? client.newSession() : client.session(token);
      run(client);
      return 0;
    }
  }
}
