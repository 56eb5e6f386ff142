package raftkv.ycsb;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The read-your-writes miss count: a read misses exactly when it returned the record as it was
 * before this session's last write to it, judged by log indexes.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class OwnWritesTest {
  private static final ByteString RECORD = ByteString.copyFromUtf8("usertable\0user1\0");

  @Test
  void aReadOfARecordThisSessionNeverWroteIsNotChecked() {
    OwnWrites own = new OwnWrites();
    assertThat(own.check(RECORD, true, 5, 5)).isFalse();
    assertThat(own.checked()).isZero();
  }

  @Test
  void aReadReturningAVersionBelowTheOwnWriteIsAMiss() {
    OwnWrites own = new OwnWrites();
    own.wrote(RECORD, 10);
    assertThat(own.check(RECORD, true, 9, 9)).isTrue();
    assertThat(own.check(RECORD, true, 10, 10)).isFalse();
    // A later write by another session is not a miss: comparing values would say it is.
    assertThat(own.check(RECORD, true, 12, 12)).isFalse();
    assertThat(own.checked()).isEqualTo(3);
    assertThat(own.misses()).isEqualTo(1);
  }

  @Test
  void aMissingRecordIsAMissOnlyIfTheServingNodeHadNotAppliedTheOwnWrite() {
    OwnWrites own = new OwnWrites();
    own.wrote(RECORD, 10);
    assertThat(own.check(RECORD, false, 0, 9)).as("node behind the write").isTrue();
    assertThat(own.check(RECORD, false, 0, 11)).as("deleted by someone since").isFalse();
  }

  @Test
  void afterAnOwnDeleteOnlyARecordOlderThanTheDeleteIsAMiss() {
    OwnWrites own = new OwnWrites();
    own.deleted(RECORD, 20);
    assertThat(own.check(RECORD, false, 0, 20)).isFalse();
    assertThat(own.check(RECORD, true, 15, 15)).isTrue();
    assertThat(own.check(RECORD, true, 21, 21)).as("inserted again since").isFalse();
  }

  @Test
  void onlyTheMostRecentlyWrittenKeysAreRemembered() {
    OwnWrites own = new OwnWrites();
    own.wrote(RECORD, 1);
    for (int i = 0; i < OwnWrites.CAPACITY; i++) {
      own.wrote(ByteString.copyFromUtf8("usertable\0k" + i + "\0"), i + 2);
    }
    assertThat(own.check(RECORD, true, 0, 0)).isFalse();
    assertThat(own.checked()).isZero();
  }
}
