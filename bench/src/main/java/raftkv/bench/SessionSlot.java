package raftkv.bench;

import com.google.protobuf.ByteString;
import java.util.function.IntSupplier;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.RejectionInversionZipfSampler;
import org.apache.commons.rng.simple.RandomSource;
import raftkv.client.Session;

/**
 * One client session of a run and its private random choices.
 *
 * <p>Ownership: a slot runs at most one operation at a time; the driver hands it from one
 * operation to the next through a synchronised queue, which orders the accesses, so its
 * mutable fields need no lock of their own.
 */
final class SessionSlot {
  final String name;
  final Session session;
  /** The key WRITE_THEN_READ operations of this session write and read. */
  final ByteString ownKey;
  final UniformRandomProvider random;
  private final IntSupplier keyIndex;
  private long writes;

  SessionSlot(int index, Session session, BenchOptions options) {
    this.name = "s" + index;
    this.session = session;
    this.ownKey = ByteString.copyFromUtf8("bench-session-" + index);
    this.random = RandomSource.XO_RO_SHI_RO_128_PP.create(options.seed() * 1_000_003L + index);
    if (options.keyDistribution() == KeyDistribution.ZIPF) {
      org.apache.commons.rng.sampling.distribution.DiscreteSampler zipf =
          RejectionInversionZipfSampler.of(random, options.keys(), options.zipfExponent());
      // Rank 1 is the hottest key: key 0, which the preload writes first.
      this.keyIndex = () -> zipf.sample() - 1;
    } else {
      int keys = options.keys();
      this.keyIndex = () -> random.nextInt(keys);
    }
  }

  /** A key drawn from the run's key distribution. */
  ByteString nextKey() {
    return key(keyIndex.getAsInt());
  }

  /**
   * A value no other write of the run writes: the session's name and write count, padded to
   * {@code size} bytes (never shorter than that id).
   */
  ByteString nextValue(int size) {
    byte[] id = (name + "-" + (++writes) + "-").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    if (id.length >= size) {
      return ByteString.copyFrom(id);
    }
    byte[] value = new byte[size];
    System.arraycopy(id, 0, value, 0, id.length);
    java.util.Arrays.fill(value, id.length, size, (byte) 'x');
    return ByteString.copyFrom(value);
  }

  static ByteString key(int index) {
    return ByteString.copyFromUtf8(String.format("bench-%08d", index));
  }
}
