package raftkv.client.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/java-client.md shows the quick start that compiles and runs, not an older copy. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class QuickStartDocTest {
  @Test
  void theGuideShowsTheExampleAsItIs() throws IOException {
    // Surefire runs in the module's directory.
    String example = Files.readString(
        Path.of("src/test/java/raftkv/client/example/QuickStartExample.java"));
    String guide = Files.readString(Path.of("../docs/java-client.md"));

    assertThat(guide).contains("```java\n" + example + "```\n");
  }
}
