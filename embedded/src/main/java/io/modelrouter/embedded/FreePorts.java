package io.modelrouter.embedded;

import java.io.IOException;
import java.net.ServerSocket;

/** Free local ports, for an embedded broker or registry started on fixed ports. */
public final class FreePorts {
  private FreePorts() {}

  /** A port nothing listens on now. */
  public static int any() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /**
   * A free port whose next port is free too: what {@code EmbeddedKafka.builder().port(p)} of a persistent node needs,
   * its controller listening on {@code p + 1}.
   */
  public static int pair() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = any();
      if (port < 65534) {
        try (ServerSocket next = new ServerSocket(port + 1)) {
          return port;
        } catch (IOException taken) {
          // try another
        }
      }
    }
    throw new IOException("no two consecutive free ports found");
  }
}
