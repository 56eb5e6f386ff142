package raftkv.cli;

/** A count and its noun for people: "1 key", "0 keys", "3 nodes". Stateless. */
final class Plural {
  private Plural() {}

  /** {@code n} and {@code noun}, with an "s" unless {@code n} is 1 (regular nouns only). */
  static String of(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
