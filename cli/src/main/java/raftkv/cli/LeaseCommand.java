package raftkv.cli;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import raftkv.client.KvClient;
import raftkv.client.LeaseApi;
import raftkv.client.LeaseKeepAlive;
import raftkv.v1.LeaseGrantResponse;
import raftkv.v1.LeaseInfoResponse;
import raftkv.v1.LeaseRevokeResponse;

/**
 * {@code raftkv lease ...}: grant, keep alive, revoke and inspect leases through the client's
 * {@link LeaseApi}. Keys attach with {@code raftkv put --lease ID}. Failures go to {@link
 * Failures}: exit 2 for a bad argument (a TTL out of bounds), 1 for a refusal or a lease that
 * is gone.
 */
@Command(name = "lease", mixinStandardHelpOptions = true,
    description = "Leases: keys attached to one (raftkv put --lease ID) are deleted, all at "
        + "one index, when it expires (no keep-alive for its TTL) or is revoked.",
    subcommands = {LeaseCommand.Grant.class, LeaseCommand.KeepAlive.class,
        LeaseCommand.Revoke.class, LeaseCommand.Info.class},
    footerHeading = "%nExamples:%n",
    footer = {"  LEASE=$(raftkv lease grant --cluster /tmp/kv 10s)",
        "  raftkv put --cluster /tmp/kv --lease \"$LEASE\" services/web-1 10.0.0.1:8080",
        "  raftkv lease keep-alive --cluster /tmp/kv \"$LEASE\" &",
        "  raftkv lease info --cluster /tmp/kv \"$LEASE\" --keys",
        "  raftkv lease revoke --cluster /tmp/kv \"$LEASE\""})
final class LeaseCommand {
  private LeaseCommand() {}

  @Command(name = "grant", mixinStandardHelpOptions = true,
      description = "Grants a lease of TTL and prints its id (the log index of the grant).",
      footerHeading = "%nExamples:%n",
      footer = {"  LEASE=$(raftkv lease grant --cluster /tmp/kv 10s)",
          "  raftkv lease grant --endpoints 127.0.0.1:9001 2m --json"})
  static final class Grant implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;

    @Parameters(index = "0", paramLabel = "TTL", converter = DurationConverter.class,
        description = "How long the lease lives without a keep-alive: from 1s to 30 days "
            + "(720h); " + DurationConverter.FORMS + ".")
    Duration ttl;

    @Override
    public Integer call() {
      try (KvClient client = connection.connect()) {
        LeaseGrantResponse r = client.leases().grant(ttl).join();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", r.getId());
        json.put("ttlMs", r.getTtlMs());
        json.put("index", r.getIndex());
        json.put("token", r.getSessionToken());
        output.print(json, String.valueOf(r.getId()));
        if (!output.json) {
          System.err.println("(lease " + r.getId() + " granted with a TTL of "
              + seconds(r.getTtlMs()) + "; token " + r.getSessionToken() + ")");
        }
        return 0;
      }
    }
  }

  @Command(name = "keep-alive", mixinStandardHelpOptions = true,
      description = {"Keeps lease ID alive, renewing it every third of its TTL at the leader "
          + "(following leader changes), until killed.",
          "Exits 1 with a message when the lease ends (it expired or was revoked) or does not "
              + "exist. Killing this process lets the lease expire after its TTL."},
      footerHeading = "%nExamples:%n",
      footer = {"  raftkv lease keep-alive --cluster /tmp/kv \"$LEASE\" &"})
  static final class KeepAlive implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin LeaseId lease;

    @Override
    public Integer call() throws Exception {
      try (KvClient client = connection.connect();
          LeaseKeepAlive alive = client.leases().keepAlive(lease.id())) {
        System.err.println("(keeping lease " + lease.id() + " alive until killed)");
        alive.done().get();
        return 0;
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Ends lease ID now: every key attached to it is deleted at one log index.",
      footerHeading = "%nExamples:%n",
      footer = {"  raftkv lease revoke --cluster /tmp/kv \"$LEASE\""})
  static final class Revoke implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Mixin LeaseId lease;

    @Override
    public Integer call() {
      try (KvClient client = connection.connect()) {
        LeaseRevokeResponse r = client.leases().revoke(lease.id()).join();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("index", r.getIndex());
        json.put("deletedKeys", r.getDeletedKeys());
        json.put("token", r.getSessionToken());
        output.print(json, "OK lease " + lease.id() + " revoked at index " + r.getIndex() + "; "
            + Plural.of(r.getDeletedKeys(), "key") + " deleted");
        return 0;
      }
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true,
      description = "Prints lease ID's TTL and the time it has left; with --keys, its keys.",
      footerHeading = "%nExamples:%n",
      footer = {"  raftkv lease info --cluster /tmp/kv \"$LEASE\" --keys --json"})
  static final class Info implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Mixin LeaseId lease;

    @Option(names = "--keys", description = "Also list the keys attached to the lease.")
    boolean keys;

    @Override
    public Integer call() {
      try (KvClient client = connection.connect()) {
        LeaseInfoResponse r = client.leases().info(lease.id(), keys).join();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", r.getId());
        json.put("grantedTtlMs", r.getGrantedTtlMs());
        json.put("remainingTtlMs", r.getRemainingTtlMs());
        if (keys) {
          json.put("keys", r.getKeysList().stream().map(k -> k.toStringUtf8()).toList());
        }
        StringBuilder text = new StringBuilder("lease " + r.getId() + ": TTL "
            + seconds(r.getGrantedTtlMs()) + ", " + seconds(r.getRemainingTtlMs()) + " left");
        if (keys) {
          text.append("; ").append(Plural.of(r.getKeysCount(), "key"));
          r.getKeysList().forEach(k -> text.append('\n').append(k.toStringUtf8()));
        }
        output.print(json, text.toString());
        return 0;
      }
    }
  }

  /** The ID parameter of the verbs that name an existing lease. */
  static final class LeaseId {
    @Parameters(index = "0", paramLabel = "ID",
        description = "The lease id, as 'raftkv lease grant' printed it.")
    long id;

    long id() {
      if (id < 1) {
        throw new IllegalArgumentException("a lease id is 1 or more, got " + id);
      }
      return id;
    }
  }

  private static String seconds(long millis) {
    return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
  }
}
