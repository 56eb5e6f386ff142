package raftkv.server;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.MiniCluster;

/**
 * For scenarios that each start their own cluster: a temporary directory, the cluster the
 * test assigns to {@link #cluster}, raw stubs, and teardown of both after every test.
 */
abstract class ClusterPerTest {
  @TempDir Path dir;
  MiniCluster cluster;
  final Stubs stubs = new Stubs();

  @AfterEach
  void stopCluster() {
    stubs.close();
    if (cluster != null) {
      cluster.close();
    }
  }
}
