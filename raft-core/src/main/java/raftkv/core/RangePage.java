package raftkv.core;

import java.util.List;
import raftkv.v1.KeyValue;

/**
 * One page of a range read.
 *
 * @param kvs the keys in byte order, at most the requested limit
 * @param nextStart where the next page starts, or {@code null} when the range is exhausted
 */
public record RangePage(List<KeyValue> kvs, byte[] nextStart) {
  public boolean more() {
    return nextStart != null;
  }
}
