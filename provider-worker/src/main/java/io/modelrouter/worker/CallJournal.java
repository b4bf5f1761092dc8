package io.modelrouter.worker;

import io.modelrouter.worker.provider.Provider;
import io.modelrouter.worker.provider.ProviderException;
import io.modelrouter.worker.provider.ProviderRequest;
import io.modelrouter.worker.provider.ProviderResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only local record of every provider call, one tab-separated line per call as it returns: time, provider,
 * the provider's model id, request id, call number, outcome ({@code ok} or the failure kind), and the input and
 * output tokens billed. It holds no prompt, content or key. Each line is one {@code write} to the file, so it
 * survives the process being killed: what it lists is what the providers were asked and answered, to reconcile with
 * their invoices and with {@code llm.usage} (the crash benchmark does exactly that).
 */
public final class CallJournal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CallJournal.class);
  static final String HEADER = "time\tprovider\tmodel\trequest\tcall\toutcome\tinput\toutput\n";

  private final Path path;
  private final FileChannel channel;

  /** One line of a journal: a call as it returned. {@code outcome} is {@code ok} or the failure kind. */
  public record Call(Instant time, String provider, String model, String requestId, int call, String outcome,
      long inputTokens, long outputTokens) {

    public boolean answered() {
      return outcome.equals("ok");
    }

    /** {@code <requestId>#<call>}: the call, whichever execution of the request made it. */
    public String key() {
      return requestId + "#" + call;
    }
  }

  /** The calls a journal holds, in the order they were written. */
  public static List<Call> read(Path journal) throws IOException {
    List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
    List<Call> calls = new ArrayList<>(Math.max(0, lines.size() - 1));
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] f = line.split("\t");
      calls.add(new Call(Instant.parse(f[0]), f[1], f[2], f[3], Integer.parseInt(f[4]), f[5], Long.parseLong(f[6]),
          Long.parseLong(f[7])));
    }
    return calls;
  }

  CallJournal(Path path) {
    this.path = path;
    try {
      boolean fresh = !path.toFile().exists() || path.toFile().length() == 0;
      this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      if (fresh) {
        write(HEADER);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the call journal " + path, e);
    }
  }

  /** The provider, each of whose calls is written here. */
  Provider around(Provider provider) {
    return new Provider() {
      @Override
      public String name() {
        return provider.name();
      }

      @Override
      public boolean simulated() {
        return provider.simulated();
      }

      @Override
      public io.modelrouter.worker.provider.BatchApi batchApi() {
        return provider.batchApi();
      }

      @Override
      public ProviderResponse call(ProviderRequest request) throws ProviderException {
        try {
          ProviderResponse response = provider.call(request);
          record(provider.name(), request, "ok", response);
          return response;
        } catch (ProviderException e) {
          record(provider.name(), request, e.kind().name().toLowerCase(Locale.ROOT), e.billed().orElse(null));
          throw e;
        }
      }

      @Override
      public void close() {
        provider.close();
      }

      @Override
      public String toString() {
        return provider.toString();
      }
    };
  }

  private void record(String provider, ProviderRequest request, String outcome, ProviderResponse billed) {
    String line = Instant.now() + "\t" + provider + "\t" + request.providerModelId() + "\t" + request.requestId()
        + "\t" + request.call() + "\t" + outcome + "\t" + (billed == null ? 0 : billed.inputTokens()) + "\t"
        + (billed == null ? 0 : billed.outputTokens()) + "\n";
    try {
      write(line);
    } catch (IOException e) {
      LOG.error("cannot write to the call journal {}: {}", path, e.toString());
    }
  }

  private synchronized void write(String line) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("closing the call journal: {}", e.toString());
    }
  }
}
