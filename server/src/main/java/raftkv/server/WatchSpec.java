package raftkv.server;

import raftkv.reads.ReadRequirement;

/**
 * A validated Watch request. Immutable.
 *
 * @param filter the keys followed
 * @param admission what this node must satisfy before the stream starts: a SESSION read
 *     needing the start index for an explicit start, the request's own level for "from now"
 * @param startAfter the explicit start (every change above it), or {@link #FROM_NOW}
 * @param progressIntervalMs how long the stream may stay silent before a progress
 *     notification; 0 = the server's default
 */
record WatchSpec(KeyFilter filter, ReadRequirement admission, long startAfter,
    long progressIntervalMs) {
  /** {@link #startAfter} of a watch that starts at the index its admission is served at. */
  static final long FROM_NOW = -1;

  boolean explicitStart() {
    return startAfter != FROM_NOW;
  }
}
