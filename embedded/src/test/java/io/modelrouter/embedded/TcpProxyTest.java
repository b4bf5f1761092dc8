package io.modelrouter.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The partition proxy against a plain echo server on the loopback address. */
class TcpProxyTest {
  private ServerSocket echo;
  private Thread echoThread;
  private TcpProxy proxy;

  @BeforeEach
  void echoServer() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    echoThread = Thread.ofPlatform().daemon().start(() -> {
      while (!echo.isClosed()) {
        try {
          Socket socket = echo.accept();
          Thread.ofVirtual().start(() -> {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException e) {
              // the peer went away
            }
          });
        } catch (IOException e) {
          return;
        }
      }
    });
    proxy = TcpProxy.start("localhost", echo.getLocalPort(), 0);
  }

  @AfterEach
  void close() throws Exception {
    proxy.close();
    echo.close();
    echoThread.join(1_000);
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    socket.setSoTimeout(1_000);
    return socket;
  }

  /** The proxy counts bytes after writing them, so a client may read them before they are counted. */
  private void awaitForwarded(long bytes) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(proxy.forwarded()).isEqualTo(bytes));
  }

  private static String roundTrip(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
    byte[] back = socket.getInputStream().readNBytes(text.length());
    return new String(back, StandardCharsets.UTF_8);
  }

  @Test
  void passForwardsBothWaysAndCountsTheBytes() throws IOException {
    try (Socket socket = connect()) {
      assertThat(roundTrip(socket, "hello")).isEqualTo("hello");
    }
    awaitForwarded(10); // 5 bytes there, 5 back
  }

  @Test
  void dropHoldsTheBytesOfAnOpenConnectionUntilItHeals() throws IOException {
    try (Socket socket = connect()) {
      assertThat(roundTrip(socket, "a")).isEqualTo("a");
      awaitForwarded(2);
      proxy.mode(TcpProxy.Mode.DROP);
      socket.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      long before = proxy.forwarded();
      try {
        int read = socket.getInputStream().read();
        throw new AssertionError("read " + read + " through a dropped path");
      } catch (SocketTimeoutException expected) {
        // silence, as a dropped path gives
      }
      assertThat(proxy.forwarded()).isEqualTo(before);
      proxy.mode(TcpProxy.Mode.PASS);
      assertThat(new String(socket.getInputStream().readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("held");
    }
  }

  @Test
  void cutClosesOpenConnectionsAndNewOnesCarryNothingUntilItHeals() throws IOException {
    try (Socket open = connect()) {
      assertThat(roundTrip(open, "a")).isEqualTo("a");
      awaitForwarded(2);
      proxy.mode(TcpProxy.Mode.CUT);
      assertThat(open.getInputStream().read()).as("the open connection is closed").isEqualTo(-1);
    }
    long before = proxy.forwarded();
    for (int i = 0; i < 20; i++) {
      try (Socket during = connect()) {
        during.getOutputStream().write('x');
        assertThat(during.getInputStream().read()).as("a connection made during the cut").isEqualTo(-1);
      } catch (IOException e) {
        // reset by the proxy: as good as closed
      }
    }
    assertThat(proxy.forwarded()).isEqualTo(before);
    proxy.mode(TcpProxy.Mode.PASS);
    try (Socket after = connect()) {
      assertThat(roundTrip(after, "back")).isEqualTo("back");
    }
  }
}
