package raftkv.bench;

/**
 * What {@link ConsistencyChecker#readReturned} found wrong with one read. A read may break
 * more than one rule at once; each flag is then set. {@code detail} says, for logging the
 * first offenders, which rule broke and with which indexes; it is empty for a clean read.
 */
public record ReadVerdict(boolean readYourWrites, boolean monotonicRead, boolean staleRead,
    String detail) {

  /** The verdict of a read that broke no rule. */
  public static final ReadVerdict OK = new ReadVerdict(false, false, false, "");

  public ReadVerdict {
    if (detail == null) {
      throw new IllegalArgumentException("detail must not be null (use \"\")");
    }
  }

  /** True when the read broke no rule. */
  public boolean ok() {
    return !readYourWrites && !monotonicRead && !staleRead;
  }
}
