package raftkv.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as people type them, the one format of every duration option: a whole number and
 * a unit, {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. A bare number is refused: it used
 * to mean milliseconds, so {@code --timeout 10} was a 10 ms deadline. Stateless.
 */
final class DurationConverter implements ITypeConverter<Duration> {
  /** What the help texts and every refusal name. */
  static final String FORMS = "a number with a unit, ms, s, m or h: 500ms, 10s, 2m, ...";

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    String v = value.trim().toLowerCase(java.util.Locale.ROOT);
    Matcher m = DURATION.matcher(v);
    if (!m.matches()) {
      throw new TypeConversionException("'" + value + "' is not a duration"
          + (v.matches("-?\\d+") ? " (no unit)" : "") + "; give " + FORMS);
    }
    try {
      long amount = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofHours(amount);
      };
    } catch (NumberFormatException | ArithmeticException e) {
      throw new TypeConversionException("'" + value + "' is too long a duration");
    }
  }
}
