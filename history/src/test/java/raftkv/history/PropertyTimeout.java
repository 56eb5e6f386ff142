package raftkv.history;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * A time limit for each jqwik property of a class (jqwik ignores JUnit's {@code @Timeout}); the
 * class also needs {@code @AddLifecycleHook(PropertyTimeout.Hook.class)}.
 *
 * <p>It fails a property that ran longer than {@link #seconds()}; it cannot stop one that never
 * returns. That is acceptable here because every try terminates: generated histories are bounded
 * and the checker gives up on its state budget.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@interface PropertyTimeout {
  int seconds();

  final class Hook implements AroundPropertyHook {
    /** Registered on a class, so it must reach the class's properties. */
    @Override
    public PropagationMode propagateTo() {
      return PropagationMode.DIRECT_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context,
        PropertyExecutor property) {
      Duration limit = Duration.ofSeconds(context.findAnnotation(PropertyTimeout.class)
          .or(() -> context.findAnnotationsInContainer(PropertyTimeout.class).stream().findFirst())
          .map(PropertyTimeout::seconds).orElse(60));
      long start = System.nanoTime();
      PropertyExecutionResult result = property.execute();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      if (took.compareTo(limit) > 0) {
        return result.mapToFailed("property took " + took + ", over its limit of " + limit);
      }
      return result;
    }
  }
}
