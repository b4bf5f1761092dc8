package io.modelrouter.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy in this process, in front of one address, that can partition the network: {@link Mode#PASS} forwards
 * bytes both ways; {@link Mode#DROP} keeps every connection open and accepts new ones but forwards nothing until it
 * heals (packets dropped by a link or a firewall: the peers see silence until their own timeouts, and what TCP would
 * retransmit is delivered once the path is back); {@link Mode#CUT}
 * closes every connection and refuses new ones (as when a host is unreachable and the stack resets). {@link
 * #delay} adds latency to every chunk forwarded. A small one of ours: no library for this resolves from Maven Central
 * without Docker (Toxiproxy runs as a server of its own), see docs/decisions.
 */
public final class TcpProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);

  /** What the proxy does with traffic. */
  public enum Mode { PASS, DROP, CUT }

  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicLong forwarded = new AtomicLong();
  private final Thread acceptor;
  private volatile Mode mode = Mode.PASS;
  private volatile long delayMillis;
  private volatile boolean open = true;

  private TcpProxy(InetSocketAddress target, int port) throws IOException {
    this.target = target;
    this.server = new ServerSocket(port, 256, InetAddress.getLoopbackAddress());
    this.acceptor = Thread.ofPlatform().daemon().name("tcp-proxy-" + server.getLocalPort()).start(this::accept);
  }

  /** A proxy on {@code port} (0: any free one) of the loopback address, to {@code host:targetPort}. */
  public static TcpProxy start(String host, int targetPort, int port) {
    try {
      return new TcpProxy(new InetSocketAddress(host, targetPort), port);
    } catch (IOException e) {
      throw new UncheckedIOException("tcp proxy cannot listen on port " + port, e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  public Mode mode() {
    return mode;
  }

  /** Switches the mode; {@link Mode#CUT} closes every open connection at once. */
  public void mode(Mode next) {
    LOG.info("tcp proxy :{} -> {}: {}", port(), target, next);
    mode = next;
    if (next == Mode.CUT) {
      sockets.forEach(TcpProxy::closeQuietly);
      sockets.clear();
    }
  }

  /** Latency added to every chunk forwarded, each way. */
  public void delay(long millis) {
    delayMillis = millis;
  }

  /** Bytes forwarded so far, both ways. */
  public long forwarded() {
    return forwarded.get();
  }

  private void accept() {
    while (open) {
      try {
        Socket client = server.accept();
        if (mode == Mode.CUT) {
          closeQuietly(client);
          continue;
        }
        Socket upstream = new Socket();
        upstream.connect(target, 5_000);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        if (mode == Mode.CUT) {
          // cut while this connection was being set up: mode(CUT) closed the sockets it knew, not these
          closeQuietly(client);
          closeQuietly(upstream);
          sockets.remove(client);
          sockets.remove(upstream);
          continue;
        }
        Thread.ofVirtual().start(() -> pipe(client, upstream));
        Thread.ofVirtual().start(() -> pipe(upstream, client));
      } catch (IOException e) {
        if (open) {
          LOG.debug("tcp proxy :{}: {}", port(), e.toString());
        }
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      while (true) {
        holdWhileDropping();
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        holdWhileDropping(); // what was read as the partition began is held until it heals, as TCP would retransmit
        if (mode == Mode.CUT) {
          break; // read as the cut began: the reset loses it
        }
        if (delayMillis > 0) {
          Thread.sleep(delayMillis);
        }
        out.write(buffer, 0, n);
        out.flush();
        forwarded.addAndGet(n);
      }
    } catch (SocketException e) {
      // closed by CUT, by close() or by a peer
    } catch (IOException e) {
      LOG.debug("tcp proxy :{}: {}", port(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private void holdWhileDropping() throws InterruptedException {
    while (mode == Mode.DROP && open) {
      Thread.sleep(10);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    open = false;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    sockets.forEach(TcpProxy::closeQuietly);
    sockets.clear();
  }
}
