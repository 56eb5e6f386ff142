package raftkv.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed Prometheus text exposition, for assertions on a scrape: every sample's name,
 * labels and value. Immutable.
 */
record PrometheusText(List<Sample> samples) {
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One sample line. */
  record Sample(String name, Map<String, String> labels, double value) {}

  static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name = brace >= 0 && brace < space ? line.substring(0, brace)
          : line.substring(0, line.indexOf(' '));
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0 && brace < space) {
        Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      }
      samples.add(new Sample(name, labels, number(line.substring(space + 1))));
    }
    return new PrometheusText(samples);
  }

  private static double number(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }

  /** The first sample named {@code name} whose labels include every pair given. */
  Optional<Sample> find(String name, String... labelPairs) {
    return matching(name, labelPairs).findFirst();
  }

  /**
   * The sum over every sample named {@code name} whose labels include every pair given: for
   * a family split by labels the test does not name (JVM memory pools, say).
   */
  double sum(String name, String... labelPairs) {
    return matching(name, labelPairs).mapToDouble(Sample::value).sum();
  }

  private java.util.stream.Stream<Sample> matching(String name, String... labelPairs) {
    return samples.stream().filter(s -> s.name().equals(name))
        .filter(s -> {
          for (int i = 0; i < labelPairs.length; i += 2) {
            if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
              return false;
            }
          }
          return true;
        });
  }

  /** The value of {@link #find}, or NaN when there is no such sample. */
  double value(String name, String... labelPairs) {
    return find(name, labelPairs).map(Sample::value).orElse(Double.NaN);
  }

  /** Names of every sample whose name matches {@code regex}. */
  List<String> names(String regex) {
    return samples.stream().map(Sample::name).filter(n -> n.matches(regex)).distinct().toList();
  }
}
