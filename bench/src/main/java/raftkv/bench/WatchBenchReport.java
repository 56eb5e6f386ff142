package raftkv.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a {@link WatchBench} run measured. Immutable.
 *
 * @param servedBy watch streams per serving node (as each stream's first message said)
 * @param writes puts acknowledged in the measured window
 * @param writesPerSec those per second
 * @param events events the watchers received for those puts
 * @param eventsPerSec those per second of the window
 * @param streamsBehind streams that had not reached the window's last put when the drain
 *     ended (30 s after the window)
 * @param delayMs from a put's acknowledgement at the writer to its event at a watcher, over
 *     every event of the window (0 when the event came first)
 * @param eventsBeforeAck events that arrived before their put's acknowledgement
 * @param resumes streams that broke and resumed during the run
 * @param tool this process's CPU over the window, per event received
 * @param nodesCpuSeconds CPU seconds each node spent in the window, by node id
 * @param cpuMicrosPerEvent the nodes' CPU over the window per event delivered
 */
public record WatchBenchReport(Map<String, Object> config, double measuredSeconds,
    Map<String, Long> servedBy, long writes, double writesPerSec, long events,
    double eventsPerSec, long streamsBehind, BenchReport.Latency delayMs, long eventsBeforeAck,
    long resumes, BenchReport.Tool tool, Map<String, Double> nodesCpuSeconds,
    double cpuMicrosPerEvent) {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void writeJson(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }

  /** The human summary. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("watchers      %d, served by %s%n", config.get("watchers"), servedBy));
    sb.append(String.format("writes        %d in %.1f s = %.0f/s%n", writes, measuredSeconds,
        writesPerSec));
    sb.append(String.format("events        %d = %.0f/s delivered; %d streams behind after the"
        + " drain%n", events, eventsPerSec, streamsBehind));
    sb.append(String.format("ack -> event  p50 %.2f ms, p90 %.2f, p99 %.2f, p99.9 %.2f, max %.2f"
        + " (%d events before their ack)%n", delayMs.p50(), delayMs.p90(), delayMs.p99(),
        delayMs.p999(), delayMs.max(), eventsBeforeAck));
    sb.append(String.format("resumes       %d%n", resumes));
    sb.append(String.format("bench cpu     %.2f cores, %.1f us per event%n", tool.cpuCores(),
        tool.cpuMicrosPerOp()));
    sb.append(String.format("nodes cpu     %s s; %.1f us per event%n", nodesCpuSeconds,
        cpuMicrosPerEvent));
    return sb.toString();
  }
}
