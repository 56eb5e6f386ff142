package raftkv.core;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import raftkv.v1.internal.Command;

/** A hand-written jraft log iterator over in-memory entries, as jraft's FSM caller drives it. */
final class FakeIterator implements Iterator {
  record Entry(long index, long term, ByteBuffer data, Closure done) {}

  private final List<Entry> entries = new ArrayList<>();
  private int position;
  Status error;
  long rolledBack;

  FakeIterator add(long index, Command command, Closure done) {
    entries.add(new Entry(index, 1, Commands.payload(command), done));
    return this;
  }

  FakeIterator add(long index, ByteBuffer data, Closure done) {
    entries.add(new Entry(index, 1, data, done));
    return this;
  }

  private Entry current() {
    if (position >= entries.size()) {
      throw new NoSuchElementException("iterator exhausted");
    }
    return entries.get(position);
  }

  @Override
  public boolean hasNext() {
    return error == null && position < entries.size();
  }

  @Override
  public ByteBuffer next() {
    ByteBuffer data = current().data();
    position++;
    return data;
  }

  @Override
  public ByteBuffer getData() {
    return current().data();
  }

  @Override
  public long getIndex() {
    return position < entries.size() ? current().index() : entries.get(entries.size() - 1).index();
  }

  @Override
  public long getTerm() {
    return current().term();
  }

  @Override
  public Closure done() {
    return current().done();
  }

  @Override
  public boolean commit() {
    return false;
  }

  @Override
  public void commitAndSnapshotSync(Closure done) {
    done.run(Status.OK());
  }

  @Override
  public void setAutoCommitPerLog(boolean status) {}

  @Override
  public void setErrorAndRollback(long ntail, Status st) {
    this.rolledBack = ntail;
    this.error = st;
  }

  boolean exhausted() {
    return position == entries.size();
  }
}
