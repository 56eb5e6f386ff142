package raftkv.core;

import com.alipay.sofa.jraft.util.NamedThreadFactory;
import com.alipay.sofa.jraft.util.SPI;
import com.alipay.sofa.jraft.util.timer.DefaultRaftTimerFactory;
import com.alipay.sofa.jraft.util.timer.HashedWheelTimer;
import com.alipay.sofa.jraft.util.timer.Timer;
import java.util.concurrent.TimeUnit;

/**
 * jraft's timer factory with a 100 ms wheel tick instead of 1 ms. Registered through jraft's
 * SPI ({@code META-INF/services}), with a higher priority than jraft's default factory.
 *
 * <p>jraft's default factory creates every non-shared timer (and the per-JVM ReadIndex
 * timeout scanner) as a hashed wheel that wakes its thread every millisecond, busy or not:
 * five of them per node cost thousands of context switches a second on an idle node. raftkv
 * nodes use jraft's shared (scheduled-executor) timers, which do not tick; what remains is
 * the ReadIndex timeout scanner, whose timeouts (seconds) do not need millisecond ticks. At
 * a 10 ms tick it was still 10-19 % of an idle node's CPU samples.
 */
@SPI(priority = 10)
public final class CoarseRaftTimerFactory extends DefaultRaftTimerFactory {
  static final long TICK_MS = 100;

  @Override
  public Timer createTimer(String name) {
    return new HashedWheelTimer(new NamedThreadFactory(name, true), TICK_MS, TimeUnit.MILLISECONDS,
        512);
  }
}
