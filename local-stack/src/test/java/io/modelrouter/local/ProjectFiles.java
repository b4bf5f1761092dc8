package io.modelrouter.local;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files of the repository that tests read (README.md, docker-compose.yml ...), whatever the working directory. */
public final class ProjectFiles {
  private ProjectFiles() {}

  /** The directory holding mvnw, found by walking up from the working directory (a module or the root). */
  public static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("mvnw"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no directory containing mvnw above " + Path.of("").toAbsolutePath());
  }
}
