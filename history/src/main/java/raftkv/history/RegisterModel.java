package raftkv.history;

/**
 * The sequential specification of one key: a register whose state is a value id (0 = absent, the
 * initial state). Stateless and thread-safe; ops are pre-encoded by {@link KeySearch}.
 */
final class RegisterModel {

  static final int ABSENT = 0;
  /** Returned by {@link #step} when the op cannot be applied in this state. */
  static final int INVALID = -1;

  static final byte CAS_FAILED = 0;
  static final byte CAS_SUCCEEDED = 1;
  static final byte CAS_NOT_KNOWN = 2;

  private RegisterModel() {}

  /**
   * The state after applying an op in {@code state}, or {@link #INVALID}.
   *
   * @param value a WRITE's or CAS's new value id, a READ's returned value id
   * @param expected a CAS's compared value id
   * @param cas for a CAS, whether its comparison is known to have held
   */
  static int step(int state, Op.Kind kind, int value, int expected, byte cas) {
    return switch (kind) {
      case WRITE -> value;
      case READ -> state == value ? state : INVALID;
      case CAS -> switch (cas) {
        case CAS_SUCCEEDED -> state == expected ? value : INVALID;
        case CAS_FAILED -> state != expected ? state : INVALID;
        default -> state == expected ? value : state;
      };
    };
  }
}
