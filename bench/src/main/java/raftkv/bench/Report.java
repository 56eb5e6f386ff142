package raftkv.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** What a load run measured: a table for people and the same as indented JSON. */
public interface Report {
  /** The human summary, ending with a newline. */
  String table();

  default String toJson() {
    try {
      return Json.MAPPER.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  default void writeJson(Path file) throws IOException {
    Json.MAPPER.writeValue(file.toFile(), this);
  }

  /** The one mapper reports share (thread-safe once configured). */
  final class Json {
    private static final ObjectMapper MAPPER =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}
  }
}
