package raftkv.chaos;

import java.util.List;
import raftkv.history.LeaseEnd;
import raftkv.history.WatchStream;

/**
 * What a run's watchers and lease holder did: the input of the watch checker and the report's
 * "Watches and leases" lines. Immutable.
 *
 * @param streams every watcher's logical stream
 * @param leaseEnds every lease granted, as ended
 * @param resumes automatic resumes of the client's watches (to another node)
 * @param restarts watches started again by hand after the client gave up
 * @param behind watchers still open that had not reached the last acknowledged write when the
 *     run stopped waiting for them (their streams simply end earlier)
 * @param ended watchers the cluster refused for good, each with the status, e.g. {@code
 *     all: OUT_OF_RANGE: ...} (their streams end there)
 * @param leasesGranted leases the lease holder was granted (each also in {@code leaseEnds})
 */
record WatchActivity(List<WatchStream> streams, List<LeaseEnd> leaseEnds, long resumes,
    long restarts, List<String> behind, List<String> ended, int leasesGranted) {

  /** A run without watchers or leases. */
  static final WatchActivity NONE = new WatchActivity(List.of(), List.of(), 0, 0, List.of(),
      List.of(), 0);

  WatchActivity {
    streams = List.copyOf(streams);
    leaseEnds = List.copyOf(leaseEnds);
    behind = List.copyOf(behind);
    ended = List.copyOf(ended);
  }

  long events() {
    return streams.stream().mapToLong(s -> s.events().size()).sum();
  }

  long revoked() {
    return leaseEnds.stream().filter(l -> l.how() == LeaseEnd.How.REVOKED).count();
  }

  long expired() {
    return leaseEnds.stream().filter(l -> l.how() == LeaseEnd.How.EXPIRED).count();
  }
}
