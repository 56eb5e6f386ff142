package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.cli.CliRun.raftkv;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code raftkv watch} and {@code raftkv lease} before any cluster is involved: bad input is
 * refused with exit 2 and a message naming the limit or the form, and the help has examples.
 * Nothing listens at the endpoint: a verb that got as far as the network would say so.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchLeaseUsageTest {
  private static final String NOWHERE = "127.0.0.1:1";

  @Test
  void aWatchNamesExactlyOneSetOfKeys() {
    CliRun none = raftkv("watch", "--endpoints", NOWHERE);
    CliRun two = raftkv("watch", "--endpoints", NOWHERE, "color", "--prefix", "c");
    CliRun endAlone = raftkv("watch", "--endpoints", NOWHERE, "--prefix", "c", "--range-end", "d");

    for (CliRun r : List.of(none, two)) {
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
      assertThat(r.err()).as(r.toString()).contains(
          "raftkv: say which keys to watch: exactly one of KEY, --prefix P or --range-start A");
    }
    assertThat(two.err()).contains(", not 2");
    assertThat(endAlone.exitCode()).as(endAlone.toString()).isEqualTo(2);
    assertThat(endAlone.err()).contains("--range-end needs --range-start");
  }

  @Test
  void aWatchRefusesTwoStartsAndAProgressIntervalOutsideItsLimits() {
    CliRun twoStarts = raftkv("watch", "--endpoints", NOWHERE, "k", "--after-index", "3",
        "--after-token", "rkv1.x");
    CliRun tooOften = raftkv("watch", "--endpoints", NOWHERE, "k", "--progress-interval", "50ms");
    CliRun noUnit = raftkv("watch", "--endpoints", NOWHERE, "k", "--timeout", "10");

    assertThat(twoStarts.exitCode()).as(twoStarts.toString()).isEqualTo(2);
    assertThat(twoStarts.err()).contains("give --after-index or --after-token, not both");
    assertThat(tooOften.exitCode()).as(tooOften.toString()).isEqualTo(2);
    assertThat(tooOften.err())
        .contains("--progress-interval must be between 100ms and 10m, got 50ms");
    assertThat(noUnit.exitCode()).as(noUnit.toString()).isEqualTo(2);
    assertThat(noUnit.err()).contains("is not a duration (no unit)");
  }

  @Test
  void aLeaseTtlOutsideItsLimitsAndANonPositiveIdAreRefusedNamingTheLimit() {
    CliRun shortTtl = raftkv("lease", "grant", "--endpoints", NOWHERE, "500ms");
    CliRun longTtl = raftkv("lease", "grant", "--endpoints", NOWHERE, "800h");
    CliRun zeroId = raftkv("lease", "revoke", "--endpoints", NOWHERE, "0");
    CliRun notANumber = raftkv("lease", "info", "--endpoints", NOWHERE, "abc");
    CliRun putZero = raftkv("put", "--endpoints", NOWHERE, "--lease", "0", "k", "v");

    assertThat(shortTtl.exitCode()).as(shortTtl.toString()).isEqualTo(2);
    assertThat(shortTtl.err().strip())
        .isEqualTo("raftkv: a lease's TTL must be between 1 s and 30 days, got 500 ms");
    assertThat(longTtl.exitCode()).as(longTtl.toString()).isEqualTo(2);
    assertThat(longTtl.err()).contains("between 1 s and 30 days, got 2880000 s");
    assertThat(zeroId.exitCode()).as(zeroId.toString()).isEqualTo(2);
    assertThat(zeroId.err()).contains("a lease id is 1 or more, got 0");
    assertThat(notANumber.exitCode()).as(notANumber.toString()).isEqualTo(2);
    assertThat(notANumber.err()).contains("'abc' is not a long");
    assertThat(putZero.exitCode()).as(putZero.toString()).isEqualTo(2);
    assertThat(putZero.err()).contains("--lease must be a lease id (1 or more), got 0");
  }

  @Test
  void watchAndLeaseHelpHaveExamplesAndSayWhatTimeoutMeansForAWatch() {
    CliRun watch = raftkv("watch", "--help");
    assertThat(watch.exitCode()).as(watch.toString()).isZero();
    String text = watch.out().replaceAll("\\s+", " ");
    assertThat(text).contains("Examples:").contains("raftkv watch --endpoints")
        .contains("$RAFTKV_ENDPOINTS").contains("--timeout=DURATION Stop watching after DURATION")
        .doesNotContain("Deadline of each request");

    for (String verb : List.of("grant", "keep-alive", "revoke", "info")) {
      CliRun help = raftkv("lease", verb, "--help");
      assertThat(help.exitCode()).as(help.toString()).isZero();
      assertThat(help.out()).as(verb).contains("Examples:").contains("raftkv lease " + verb + " ");
    }
  }
}
