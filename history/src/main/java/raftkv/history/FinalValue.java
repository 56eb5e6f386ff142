package raftkv.history;

/**
 * One key's value read linearizably after a run, for {@link LostWriteChecker}. Immutable.
 *
 * @param value the value, null = key absent
 * @param valueIndex the log index of the write that produced it; 0 = absent or not known
 */
public record FinalValue(String value, long valueIndex) {

  /** The key is absent. */
  public static final FinalValue ABSENT = new FinalValue(null, 0);

  public FinalValue {
    if (valueIndex < 0) throw new IllegalArgumentException("valueIndex must be >= 0");
  }
}
