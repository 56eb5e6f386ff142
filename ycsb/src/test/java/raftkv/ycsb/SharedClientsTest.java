package raftkv.ycsb;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.client.KvClient;

/** The run's read-your-writes counts: summed over YCSB's threads, printed once at the end. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SharedClientsTest {
  @Test
  void threadsShareOneClientAndTheLastToFinishPrintsTheSummedCounts() {
    // Building a client never touches the network, so no node is needed here.
    Settings settings = new Settings(List.of("127.0.0.1:1"), null, null, null, null,
        ReadLevel.parse("eventual"), Duration.ofSeconds(1));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    KvClient first = SharedClients.acquire(settings);
    KvClient second = SharedClients.acquire(settings);
    assertThat(second).isSameAs(first);

    SharedClients.release(settings, counts(3, 1), out);
    assertThat(printed.size()).as("printed before the last thread finished").isZero();
    SharedClients.release(settings, counts(2, 2), out);

    assertThat(printed.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "[RAFTKV], Consistency, eventual",
        "[RAFTKV], ReadsOfOwnWrites, 5",
        "[RAFTKV], ReadYourWritesMisses, 3");
    assertThat(SharedClients.acquire(settings)).as("a later run gets a new client")
        .isNotSameAs(first);
    SharedClients.release(settings, new OwnWrites(), new PrintStream(new ByteArrayOutputStream()));
  }

  private static OwnWrites counts(int checked, int misses) {
    OwnWrites own = new OwnWrites();
    for (int i = 0; i < checked; i++) {
      ByteString record = ByteString.copyFromUtf8("t\0k" + i + "\0");
      own.wrote(record, 10);
      own.check(record, true, i < misses ? 9 : 10, 10);
    }
    return own;
  }
}
