package raftkv.cli;

import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where the cluster is, from the environment: {@value #ENDPOINTS} stands for
 * {@code --endpoints} and {@value #CLUSTER} for {@code --cluster}, as etcdctl reads
 * {@code ETCDCTL_ENDPOINTS}. They are only defaults: {@link Connection} ignores both as soon as
 * either flag is given, so a flag always wins. Every other option keeps its own default.
 * Immutable; the environment is given, not read, so tests can pass their own.
 */
final class EnvironmentDefaults implements IDefaultValueProvider {
  static final String ENDPOINTS = "RAFTKV_ENDPOINTS";
  static final String CLUSTER = "RAFTKV_CLUSTER";

  private final Map<String, String> environment;

  EnvironmentDefaults(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** The variable's value for --endpoints or --cluster; null (the option's own default) else. */
  @Override
  public String defaultValue(ArgSpec argument) {
    if (!(argument instanceof OptionSpec option)) {
      return null;
    }
    String variable = switch (option.longestName()) {
      case "--endpoints" -> ENDPOINTS;
      case "--cluster" -> CLUSTER;
      default -> null;
    };
    String value = variable == null ? null : environment.get(variable);
    return value == null || value.isBlank() ? null : value.strip();
  }
}
