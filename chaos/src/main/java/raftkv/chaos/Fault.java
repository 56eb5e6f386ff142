package raftkv.chaos;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The kinds of fault a chaos run injects, by the names {@code --faults} takes. */
public enum Fault {
  /** SIGKILL a node (the leader, a follower or a learner, in turn) and start it again. */
  KILL("kill"),
  /** SIGSTOP a node longer than the election timeout, then SIGCONT. */
  PAUSE("pause"),
  /** Cut links: an isolated leader, an isolated learner, or a minority/majority split. */
  PARTITION("partition"),
  /** Every link delays each chunk it forwards. */
  DELAY("delay"),
  /** Every link cuts its connections at random (a lossy network, as TCP sees it). */
  DROP("drop"),
  /** A replica stopped until the leader's log is truncated by a snapshot, so it must install one. */
  SNAPSHOT("snapshot"),
  /** Add a learner under load (it catches up from nothing), later remove it. */
  MEMBERSHIP("membership"),
  /** SIGKILL every node at once and start them all: every node replays its log. */
  RESTART("restart");

  private final String cliName;

  Fault(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** Parses {@code kill,pause,...} or {@code all}; names the valid ones when a name is unknown. */
  public static Set<Fault> parseList(String text) {
    if (text.trim().equalsIgnoreCase("all")) {
      return EnumSet.allOf(Fault.class);
    }
    Set<Fault> out = EnumSet.noneOf(Fault.class);
    for (String word : text.split(",")) {
      String name = word.trim().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      Fault found = null;
      for (Fault f : values()) {
        if (f.cliName.equals(name)) {
          found = f;
        }
      }
      if (found == null) {
        throw new IllegalArgumentException("unknown fault '" + word.trim() + "'; valid: all, "
            + names(EnumSet.allOf(Fault.class)));
      }
      out.add(found);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no fault named; valid: all, "
          + names(EnumSet.allOf(Fault.class)));
    }
    return out;
  }

  static String names(Set<Fault> faults) {
    List<Fault> sorted = new ArrayList<>(faults);
    return sorted.stream().map(Fault::cliName).collect(Collectors.joining(","));
  }
}
