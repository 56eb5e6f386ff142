package raftkv.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SessionTokenTest {
  @Test
  void aTokenIsFixedSizePrintableAndRoundTrips() {
    for (long index : new long[] {0, 1, 4711, Long.MAX_VALUE}) {
      SessionToken token = new SessionToken(0xfeedbeefcafe0001L, index);
      String text = token.encode();
      assertThat(text).hasSize(SessionToken.LENGTH).matches("rkv1\\.[0-9a-f]{16}\\.[0-9a-f]{16}");
      assertThat(SessionToken.parse(text)).isEqualTo(token);
    }
  }

  @Test
  void malformedTokensAreRefusedSayingWhatATokenLooksLike() {
    for (String bad : new String[] {"", "rkv1.", "rkv2.0000000000000001.0000000000000002",
        "rkv1.000000000000000g.0000000000000002", "rkv1.0000000000000001-0000000000000002",
        "rkv1.0000000000000001.8000000000000000"}) {
      assertThatThrownBy(() -> SessionToken.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed session token");
    }
  }

  @Test
  void maxKeepsTheLaterIndexAndRefusesToMixClusters() {
    SessionToken a = new SessionToken(7, 10);
    SessionToken b = new SessionToken(7, 12);
    assertThat(SessionToken.max(a, b)).isEqualTo(b);
    assertThat(SessionToken.max(b, a)).isEqualTo(b);
    assertThat(SessionToken.max(null, a)).isEqualTo(a);
    assertThatThrownBy(() -> SessionToken.max(a, new SessionToken(8, 1)))
        .hasMessageContaining("two clusters");
  }
}
