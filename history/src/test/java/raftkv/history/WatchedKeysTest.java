package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which keys a watch covers, in the store's (UTF-8 byte) key order. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WatchedKeysTest {

  @Test
  void aKeyAPrefixAndARangeCoverWhatTheyName() {
    assertThat(WatchedKeys.key("a").covers("a")).isTrue();
    assertThat(WatchedKeys.key("a").covers("ab")).isFalse();
    assertThat(WatchedKeys.prefix("e1-").covers("e1-k3")).isTrue();
    assertThat(WatchedKeys.prefix("e1-").covers("e10-k3")).isFalse();
    assertThat(WatchedKeys.prefix("").covers("anything")).isTrue();
    WatchedKeys range = WatchedKeys.range("b", "d");
    assertThat(range.covers("b")).isTrue();
    assertThat(range.covers("cz")).isTrue();
    assertThat(range.covers("d")).isFalse();
    assertThat(range.covers("a")).isFalse();
    assertThat(WatchedKeys.range("b", null).covers("zzz")).isTrue();
  }

  /** UTF-16 order puts U+1F600 (a surrogate pair) before U+FFFF; UTF-8 order after it. */
  @Test
  void rangesFollowUtf8OrderNotUtf16() {
    assertThat(WatchedKeys.range("\uFFFF", null).covers("\uD83D\uDE00")).isTrue();
    assertThat(WatchedKeys.range("a", "\uFFFF").covers("\uD83D\uDE00")).isFalse();
  }

  @Test
  void describesItselfForViolations() {
    assertThat(WatchedKeys.range("a", null)).hasToString("range [\"a\", end)");
    assertThat(WatchedKeys.prefix("p")).hasToString("prefix \"p\"");
    assertThat(WatchedKeys.range("\0", null)).hasToString("range [\"\\u0000\", end)");
  }
}
