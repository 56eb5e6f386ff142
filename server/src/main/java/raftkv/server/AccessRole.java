package raftkv.server;

/**
 * What a caller may do. Each role includes the ones before it: {@code admin} can do what
 * {@code readwrite} can, which can do what {@code read} can.
 */
public enum AccessRole {
  /** Reads at every consistency level, Status. */
  READ,
  /** Reads and writes (Put, Delete, Txn). */
  READWRITE,
  /** Everything: membership, leadership transfer, snapshots. */
  ADMIN;

  public boolean allows(AccessRole needed) {
    return compareTo(needed) >= 0;
  }

  /** {@code read}, {@code readwrite} or {@code admin}, case-insensitive. */
  public static AccessRole parse(String text) {
    for (AccessRole role : values()) {
      if (role.name().equalsIgnoreCase(text.trim())) {
        return role;
      }
    }
    throw new IllegalArgumentException("role '" + text + "' is not one of read, readwrite, admin");
  }
}
