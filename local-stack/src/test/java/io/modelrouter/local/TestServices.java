package io.modelrouter.local;

import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.budget.BudgetService;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.router.learning.LearnerService;
import io.modelrouter.worker.WorkerService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The real services of an end-to-end test on the shared broker, each under the test's topic prefix and state
 * directory with the test's own settings on top, stopped newest first; and calls to budget-service's HTTP API.
 */
final class TestServices implements AutoCloseable {
  private final String prefix;
  private final Path state;
  private final Map<String, String> common;
  private final List<AutoCloseable> running = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private BudgetService budget;

  TestServices(KafkaStack stack, String prefix, int partitions, Path state) {
    this.prefix = prefix;
    this.state = state;
    this.common = Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", Integer.toString(partitions));
  }

  /** The settings every service of the test shares, with {@code own} on top. */
  Settings settings(Map<String, String> own) {
    Map<String, String> all = new HashMap<>(common);
    all.putAll(own);
    return Settings.of(all);
  }

  BudgetService budget(Map<String, String> own) {
    Map<String, String> all = new HashMap<>(Map.of("budget.http.port", "0"));
    all.putAll(own);
    budget = closeLater(new BudgetService(settings(all)).start());
    return budget;
  }

  AggregatorService aggregator(Map<String, String> own) {
    Map<String, String> all = new HashMap<>(Map.of("aggregator.application.id", prefix + "aggregator",
        "aggregator.state.dir", state.resolve("aggregator").toString(), "aggregator.threads", "1"));
    all.putAll(own);
    return closeLater(new AggregatorService(settings(all)).start());
  }

  /** A router instance; several with distinct {@code instance} names form one application. */
  RouterService router(String instance, Map<String, String> own) {
    Map<String, String> all = new HashMap<>(Map.of("router.application.id", prefix + "router",
        "router.instance.id", prefix + instance, "router.state.dir", state.resolve(instance).toString(),
        "router.threads", "1"));
    all.putAll(own);
    return closeLater(new RouterService(settings(all)).start());
  }

  LearnerService learner(Map<String, String> own) {
    Map<String, String> all = new HashMap<>(Map.of("learner.application.id", prefix + "learner",
        "learner.state.dir", state.resolve("learner").toString(), "learner.publish.interval", "1000"));
    all.putAll(own);
    return closeLater(new LearnerService(settings(all)).start());
  }

  WorkerService worker(Map<String, String> own) {
    Map<String, String> all = new HashMap<>(Map.of("worker.group.id", prefix + "worker",
        "worker.instance.id", prefix + "w1"));
    all.putAll(own);
    return closeLater(new WorkerService(settings(all)).start());
  }

  /** Closes {@code service} with the services, before the ones started earlier. */
  <T extends AutoCloseable> T closeLater(T service) {
    running.add(service);
    return service;
  }

  int budgetPort() {
    return budget.port();
  }

  /** A call to budget-service's API with this bearer token (none when null) and a JSON body (none when null). */
  HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + budget.port() + path))
        .header("Accept", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable service : running.reversed()) {
      service.close();
    }
  }
}
