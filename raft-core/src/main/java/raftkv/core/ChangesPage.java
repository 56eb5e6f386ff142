package raftkv.core;

import java.util.List;
import raftkv.v1.internal.ChangeSet;

/**
 * A page of the watch history.
 *
 * @param changes the change sets in index order (only indexes that changed user keys)
 * @param through every change with an index at or below this one up to the page's start is
 *     in {@code changes}: the position a reader reaches by consuming the page
 * @param appliedIndex the store's applied index when the page was read
 */
public record ChangesPage(List<ChangeSet> changes, long through, long appliedIndex) {}
