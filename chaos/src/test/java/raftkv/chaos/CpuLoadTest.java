package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The run's own CPU contention: a child process that spins, and that nothing can leave behind. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CpuLoadTest {
  private static final NodeLauncher LAUNCHER = new NodeLauncher(
      ProcessHandle.current().info().command().orElse("java"),
      List.of("-Xmx32m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path")),
      List.of());

  @TempDir Path label;

  @AfterEach
  void noLoadProcessSurvives() {
    burners().forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void theLoadSpinsInAProcessOfItsOwnUntilClosedAndReportsTheCpuItUsed() throws Exception {
    CpuLoad load = CpuLoad.start(LAUNCHER, 2, label);
    try {
      assertThat(load.threads()).isEqualTo(2);
      List<ProcessHandle> burners = burners();
      assertThat(burners).hasSize(1);
      ProcessHandle burner = burners.get(0);
      await("the load process has used 200 ms of CPU").atMost(Duration.ofSeconds(60))
          .until(() -> burner.info().totalCpuDuration().orElse(Duration.ZERO)
              .compareTo(Duration.ofMillis(200)) > 0);

      load.close();

      assertThat(burner.isAlive()).isFalse();
      assertThat(load.cpu()).isGreaterThan(Duration.ofMillis(200));
      load.close(); // a second close (the shutdown hook's) is harmless
    } finally {
      load.close();
    }
  }

  @Test
  void noThreadsStartsNoProcess() throws Exception {
    try (CpuLoad load = CpuLoad.start(LAUNCHER, 0, label)) {
      assertThat(load.threads()).isZero();
      assertThat(burners()).isEmpty();
    }
  }

  /**
   * What happens when the run's JVM dies, even by SIGKILL: the kernel closes the pipe to the
   * child's standard input, which is all the child waits on.
   */
  @Test
  void theLoadProcessExitsByItselfWhenItsStandardInputEnds() throws Exception {
    Process burner = new ProcessBuilder(LAUNCHER.java(), "-Xmx32m", "-cp",
        System.getProperty("java.class.path"), CpuBurner.class.getName(), "1",
        label.toString()).redirectErrorStream(true).start();
    try {
      byte[] ready = burner.getInputStream().readNBytes(CpuBurner.READY.length());
      assertThat(new String(ready, java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(CpuBurner.READY);

      burner.getOutputStream().close();

      assertThat(burner.waitFor(30, TimeUnit.SECONDS)).as("exited after its input ended")
          .isTrue();
      assertThat(burner.exitValue()).isZero();
    } finally {
      burner.destroyForcibly();
    }
  }

  /** Child processes of this JVM that are load processes of this test. */
  private List<ProcessHandle> burners() {
    try (Stream<ProcessHandle> children = ProcessHandle.current().children()) {
      return children.filter(ProcessHandle::isAlive)
          .filter(p -> p.info().commandLine().map(c -> c.contains(CpuBurner.class.getName())
              && c.contains(label.toString())).orElse(false))
          .toList();
    }
  }
}
