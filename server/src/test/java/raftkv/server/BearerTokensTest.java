package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokens file: comments and blank lines are skipped, each token maps to its role, and a
 * malformed line stops start-up naming the file, the line and the rule, never the token.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BearerTokensTest {
  @TempDir Path dir;

  @Test
  void tokensMapToTheirRolesAndCommentsAndBlankLinesAreSkipped() throws IOException {
    BearerTokens tokens = BearerTokens.read(file(
        "# operators",
        "",
        "   aaaaaaaaaaaaaaaaaaaa   read   dashboards  # trailing comment",
        "bbbbbbbbbbbbbbbbbbbb readwrite",
        "cccccccccccccccccccc ADMIN ops"));

    assertThat(tokens.size()).isEqualTo(3);
    assertThat(tokens.find("aaaaaaaaaaaaaaaaaaaa")).get()
        .satisfies(e -> assertThat(e.role()).isEqualTo(AccessRole.READ))
        .satisfies(e -> assertThat(e.name()).isEqualTo("dashboards"));
    assertThat(tokens.find("bbbbbbbbbbbbbbbbbbbb").map(BearerTokens.Entry::role))
        .contains(AccessRole.READWRITE);
    assertThat(tokens.find("cccccccccccccccccccc").map(BearerTokens.Entry::role))
        .contains(AccessRole.ADMIN);
    assertThat(tokens.find("aaaaaaaaaaaaaaaaaaab")).isEmpty();
    assertThat(tokens.find("")).isEmpty();
  }

  @Test
  void aShortTokenIsRefusedNamingFileLineAndMinimumButNotTheToken() throws IOException {
    Path file = file("# ok", "short-token read");

    assertThatThrownBy(() -> BearerTokens.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("line 2")
        .hasMessageContaining("at least 16").hasMessageNotContaining("short-token");
  }

  @Test
  void anUnknownRoleIsRefusedNamingTheRoles() throws IOException {
    Path file = file("aaaaaaaaaaaaaaaaaaaa superuser");

    assertThatThrownBy(() -> BearerTokens.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 1").hasMessageContaining("is not a role; roles are read, readwrite, admin")
        // A line written "name token role" puts the token in the role's place: never echo it.
        .hasMessageNotContaining("superuser");
  }

  @Test
  void aDuplicateTokenIsRefusedNamingBothLines() throws IOException {
    Path file = file("aaaaaaaaaaaaaaaaaaaa read", "", "aaaaaaaaaaaaaaaaaaaa admin");

    assertThatThrownBy(() -> BearerTokens.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 3").hasMessageContaining("same as on line 1")
        .hasMessageContaining("unique");
  }

  @Test
  void aLineWithoutRoleOrWithExtraFieldsIsRefused() throws IOException {
    Path lonely = file("aaaaaaaaaaaaaaaaaaaa");
    Path extra = dir.resolve("extra");
    Files.writeString(extra, "aaaaaaaaaaaaaaaaaaaa read name surplus\n");

    assertThatThrownBy(() -> BearerTokens.read(lonely))
        .hasMessageContaining("line 1").hasMessageContaining("expected 'token role [name]'");
    assertThatThrownBy(() -> BearerTokens.read(extra))
        .hasMessageContaining("line 1").hasMessageContaining("found 4 field(s)");
  }

  @Test
  void aServerWithABadTokensFileDoesNotStart() throws IOException {
    Path file = file("aaaaaaaaaaaaaaaaaaaa read", "tiny admin");
    ServerConfig config = ServerConfig.of("n1",
        java.util.List.of(PeerSpec.parse("n1=127.0.0.1:1/127.0.0.1:2")), dir.resolve("data"))
        .withAuth(AuthConfig.tokens(file));

    assertThatThrownBy(() -> RaftkvServer.start(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("line 2");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  private Path file(String... lines) throws IOException {
    Path file = dir.resolve("tokens");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }
}
