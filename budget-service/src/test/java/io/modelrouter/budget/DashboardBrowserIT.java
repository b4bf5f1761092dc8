package io.modelrouter.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.Attempt;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.worker.WorkerService;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard end to end: the embedded broker and registry, the real usage aggregator, budget-service, router and
 * worker (simulated provider), and the page in headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}; Selenium Manager never runs). Usage and results are first written with the project's
 * serdes, so the numbers are known; then, with the page left open, more usage and real requests through the router
 * and worker, and the page must refresh to them without a reload. Every number checked on the page is compared with
 * the same field of {@code GET /dashboard/summary}. Set {@code -Ddashboard.screenshot=<file.png>} to keep a picture.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserIT {
  private static final String ADMIN = "adm1n-s3cret";
  private static final String ORION = "orion-s3cret";
  private static final String LYRA = "lyra-s3cret";
  private static final Path CHROMIUM = Path.of(System.getProperty("dashboard.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("dashboard.chromedriver", "/usr/bin/chromedriver"));
  private static final Path SCREENSHOT =
      Path.of(System.getProperty("dashboard.screenshot", "target/dashboard-browser-it.png"));
  private static final Map<String, ModelSpec> CATALOG = DefaultPolicies.catalogById();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private Topics topics;
  private Path temp;
  private BudgetService service;
  private Map<String, String> budgetSettings;
  private AggregatorService aggregator;
  private RouterService router;
  private WorkerService worker;
  private KafkaProducer<byte[], byte[]> producer;
  private ChromeDriverService driverService;
  private WebDriver browser;

  @BeforeAll
  void start(KafkaStack stack) throws IOException {
    // A missing browser fails the run here, with what to install, instead of skipping the test.
    assertThat(Files.isExecutable(CHROMIUM))
        .as("%s is missing: install Debian's browser with 'apt-get install -y chromium chromium-driver'", CHROMIUM)
        .isTrue();
    assertThat(Files.isExecutable(CHROMEDRIVER))
        .as("%s is missing: install it with 'apt-get install -y chromium chromium-driver'", CHROMEDRIVER)
        .isTrue();
    temp = Files.createTempDirectory("dashboard-it");
    String prefix = stack.uniqueName("dashboard") + ".";
    topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(stack.registryUrl())).prefix(prefix)
        .build());
    Map<String, String> common = Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "2");
    Map<String, String> budget = new HashMap<>(common);
    budget.putAll(Map.of("budget.http.port", "0", "budget.admin.token", ADMIN, "budget.team.tokens",
        "orion=" + ORION + ",lyra=" + LYRA));
    budgetSettings = budget;
    service = new BudgetService(Settings.of(budget)).start();
    Map<String, String> aggregation = new HashMap<>(common);
    aggregation.putAll(Map.of(
        "aggregator.application.id", stack.uniqueName("dashboard-aggregator"),
        "aggregator.state.dir", temp.resolve("streams").toString(),
        "aggregator.totals.interval", "200"));
    aggregator = new AggregatorService(Settings.of(aggregation)).start();
    Map<String, String> routing = new HashMap<>(common);
    routing.putAll(Map.of(
        "router.application.id", stack.uniqueName("dashboard-router"),
        "router.state.dir", temp.resolve("router").toString(),
        "router.threads", "1"));
    router = new RouterService(Settings.of(routing)).start();
    Map<String, String> working = new HashMap<>(common);
    working.putAll(Map.of(
        "worker.group.id", stack.uniqueName("dashboard-worker"),
        "worker.instance.id", stack.uniqueName("dashboard-worker-1"),
        "worker.simulate", "all",
        "simulator.latency", "20"));
    worker = new WorkerService(Settings.of(working)).start();
    producer = new KafkaProducer<>(stack.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
    browser = startBrowser(temp.resolve("chromium-profile"));
  }

  private WebDriver startBrowser(Path profile) {
    // Debian's driver and browser, named explicitly, so Selenium Manager never looks for (or downloads) either.
    System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--window-size=1360,2000");
    driverService = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    return new ChromeDriver(driverService, options);
  }

  @AfterAll
  void stop() throws IOException {
    if (browser != null) {
      browser.quit();
    }
    if (driverService != null) {
      driverService.stop();
    }
    if (producer != null) {
      producer.close();
    }
    if (worker != null) {
      worker.close();
    }
    if (router != null) {
      router.close();
    }
    if (aggregator != null) {
      aggregator.close();
    }
    if (service != null) {
      service.close();
    }
    if (temp != null) {
      try (Stream<Path> files = Files.walk(temp)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void pageShowsTheSummaryApisNumbersAndFollowsNewUsageAlertsAndResultsWithoutAReload() throws Exception {
    // Given: orion's budget, its usage (12,000 of 20,000 daily input tokens: past the 50% alert) and results
    HttpResponse<String> put = send("PUT", "/teams/orion/budget", ADMIN, """
        {"daily": {"inputTokens": 20000, "outputTokens": 10000, "costUsd": 1.00, "alertThresholds": [0.5, 0.8],
                   "action": "restrict"},
         "monthly": {"inputTokens": 1000000, "costUsd": 20}}""");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    usage("orion", "o-1", "interactiveChat", "claude-haiku-4-5", 4_000, 1_200, 0);
    usage("orion", "o-2", "interactiveChat", "claude-haiku-4-5", 3_000, 900, 0);
    usage("orion", "o-3", "codeReview", "claude-sonnet-4-5", 3_500, 1_400, 1_000);
    usage("orion", "o-4", "research", "claude-opus-4-5", 1_500, 600, 0);
    usage("vega", "v-1", "hookActions", "claude-haiku-4-5", 800, 200, 0);
    result("orion", "o-1", "fast", "claude-haiku-4-5", "routing table: interactiveChat → fast");
    result("orion", "o-3", "primary", "claude-sonnet-4-5", "routing table: codeReview → primary");
    result("orion", "o-4", "frontier", "claude-opus-4-5", "complexity 0.91 > 0.80: promoted to frontier");
    result("vega", "v-1", "fast", "claude-haiku-4-5", "routing table: hookActions → fast");
    // orion routes with a learned model (version 2 of its own, 5 exemplars), and three of its results were judged
    // (after budget-service read the result they judge: the learning chart prices a judged request with its result)
    produce(topics.routerModels(), Topics.routerModelKey("orion", 2), new RouterModel("orion", 2L, "shipped-437", 5L,
        Instant.now(), List.of()));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
      JsonNode orion = card(summary(ADMIN), "orion");
      return orion != null && orion.get("results").size() == 3;
    });
    for (double score : new double[] {1.0, 0.0, 1.0}) {
      produce(topics.feedback(), "orion", new FeedbackEvent("fb-" + score + "-" + System.nanoTime(), "o-1", "orion",
          null, score, FeedbackSource.TEST, null, null, Instant.now()));
    }
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
      JsonNode orion = card(summary(ADMIN), "orion");
      return orion != null && orion.get("daily").get("inputTokens").asLong() == 12_000
          && orion.path("learning").path("judgements").path("latest").asInt() == 3
          && orion.get("state").asText().equals("NOTIFY") && orion.get("alerts").get("today").asInt() == 1
          && orion.get("results").size() == 3 && card(summary(ADMIN), "vega") != null
          && card(summary(ADMIN), "vega").get("results").size() == 1;
    });

    // When: the admin signs in on the page
    browser.get(base() + "/");
    signOutIfSignedIn();
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(ADMIN);
    browser.findElement(By.id("token-submit")).click();
    wait.until(ExpectedConditions.attributeToBe(
        By.cssSelector("[data-team='orion'] [data-field='dailyInputTokens']"), "data-value", "12000"));
    JsonNode orion = card(summary(ADMIN), "orion");

    // Then: the team's state, gauges, savings, breakdowns, alerts and routing reasons are the API's
    List<String> apiTeams = new ArrayList<>();
    summary(ADMIN).get("teams").forEach(t -> apiTeams.add(t.get("team").asText()));
    assertThat(apiTeams).contains("orion", "vega");
    assertThat(browser.findElements(By.cssSelector("section[data-team]"))).extracting(e -> e.getDomAttribute(
        "data-team")).containsExactlyElementsOf(apiTeams);
    assertThat(browser.findElement(By.id("viewer")).getText()).isEqualTo("Signed in as admin");
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
        .ignoreException(StaleElementReferenceException.class)
        .untilAsserted(() -> assertCard(orionCard(), card(summary(ADMIN), "orion")));
    assertThat(orion.get("state").asText()).isEqualTo("NOTIFY");
    assertThat(orion.get("baseline").get("model").asText()).isEqualTo("claude-opus-4-5");
    assertThat(orion.get("daily").get("savedFraction").decimalValue()).isPositive();
    assertThat(orion.get("daily").get("byModel")).hasSize(3);
    assertThat(orion.get("daily").get("byTaskType")).hasSize(3);
    assertThat(orion.get("alerts").get("today").asInt()).isEqualTo(1);
    assertThat(orion.get("results")).hasSize(3);
    assertThat(text(orionCard().findElement(By.cssSelector("tr[data-request-id='o-4']")), "routingReason"))
        .isEqualTo("complexity 0.91 > 0.80: promoted to frontier");
    // (two judgements of 1 and one of 0: a mean of 0.667, shown as 0.67)
    assertThat(orion.get("learning").get("judgements").get("latestMeanScore").asDouble()).isEqualTo(0.667);
    assertThat(orion.get("learning").get("inUse").asLong()).isEqualTo(2);
    assertThat(text(orionCard(), "latestScore")).isEqualTo("0.67");
    assertThat(text(orionCard(), "learnedInUse")).isEqualTo("v2");
    assertThat(browser.findElements(By.cssSelector("[data-team='vega'] [data-learning]"))).isEmpty();
    // The learning chart: three judgements of o-1, priced once (haiku, 100 in and 50 out: 100 x $1 + 50 x $5 per
    // MTok = 350 micro-dollars) against Opus 4.5 ($5 in, $25 out: 1,750), in the minute of the first judgement
    JsonNode minutes = orion.get("learning").get("minutes");
    assertThat(sum(minutes, "judgements")).isEqualTo(3);
    assertThat(sum(minutes, "priced")).isEqualTo(1);
    assertThat(sum(minutes, "costMicros")).isEqualTo(350);
    assertThat(sum(minutes, "baselineCostMicros")).isEqualTo(1_750);
    for (JsonNode minute : minutes) {
      if (minute.get("priced").asInt() == 1) {
        assertThat(minute.get("costShare").asDouble()).isEqualTo(0.2);
      } else {
        assertThat(minute.get("costShare").isNull()).as("a minute without a priced request has no share").isTrue();
      }
    }
    assertLearningChart(minutes);
    assertThat(browser.findElements(By.cssSelector("[data-team='vega'] [data-chart='learning']"))).isEmpty();

    // When: the page stays open (a marker in its window would not survive a reload) while usage crosses orion's
    // 80% alert and two requests go through the real router and worker (simulated provider)
    ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
    usage("orion", "o-5", "codeReview", "claude-sonnet-4-5", 4_500, 300, 0);
    submit("live-review", "codeReview");
    submit("live-chat", "interactiveChat");
    JsonNode updated = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
        .until(() -> card(summary(ADMIN), "orion"), card -> card.get("alerts").get("today").asInt() == 2
            && card.get("daily").get("requests").asInt() == 7 && card.get("monthly").get("requests").asInt() == 7
            && requestIds(card).containsAll(List.of("live-review", "live-chat")));
    // The page re-renders when its data changes, so an element read during a refresh can go stale: read again.
    wait.ignoring(StaleElementReferenceException.class).until(driver -> orionValue("dailyRequests").equals("7")
        && orionValue("monthlyRequests").equals("7") && orionValue("alertsToday").equals("2")
        && orionCard().findElements(By.cssSelector("tr[data-request-id^='live-']")).size() == 2);
    screenshot();

    // Then: the same page shows the new numbers, which are the API's again (once both have settled: the totals of
    // the live requests may still be published a second after their results)
    assertThat(((JavascriptExecutor) browser).executeScript("return window.notReloaded === true;")).isEqualTo(true);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
        .ignoreException(StaleElementReferenceException.class)
        .untilAsserted(() -> assertCard(orionCard(), card(summary(ADMIN), "orion")));
    assertThat(updated.get("daily").get("inputTokens").asLong()).isGreaterThan(16_500);
    // and the new results are the worker's, with the router's reasons: the shipped policy's lexical model first, under
    // orion's learned version 2 (published above: it names no exemplars, so the model's own probabilities)
    for (String[] live : new String[][] {{"live-review", "codeReview"}, {"live-chat", "interactiveChat"}}) {
      JsonNode result = resultOf(updated, live[0]);
      assertThat(result.get("status").asText()).isEqualTo("OK");
      assertThat(result.get("routingReason").asText()).as(live[1]).startsWith("learned orion@2: p(fast)=");
      assertThat(CATALOG).containsKey(result.get("model").asText());
    }
  }

  @Test
  void chartsDrawTheSeriesOfTheApiAndTheBudgetBurnDown() throws Exception {
    // Given: lyra in a time zone where it is about noon now (Etc/GMT-5 is UTC+5), so that the three hours of usage
    // below fall on today's date there, with a daily budget of 40,000 input tokens
    Instant now = Instant.now();
    int offset = 12 - now.atZone(java.time.ZoneOffset.UTC).getHour();
    String zoneId = offset == 0 ? "Etc/GMT" : offset > 0 ? "Etc/GMT-" + offset : "Etc/GMT+" + (-offset);
    java.time.ZoneId zone = java.time.ZoneId.of(zoneId);
    HttpResponse<String> put = send("PUT", "/teams/lyra/budget", ADMIN, """
        {"timeZone": "%s", "daily": {"inputTokens": 40000, "alertThresholds": [0.5, 0.8], "action": "restrict"},
         "monthly": {"costUsd": 50}}""".formatted(zoneId));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    // usage at ten past the hour two hours ago, ten past the last hour, the start of this hour, and yesterday
    Instant hour = now.atZone(zone).truncatedTo(java.time.temporal.ChronoUnit.HOURS).toInstant();
    List<Object[]> calls = List.of(
        new Object[] {"l-1", hour.minus(Duration.ofMinutes(110)), "claude-haiku-4-5", 6_000L, 600L},
        new Object[] {"l-2", hour.minus(Duration.ofMinutes(50)), "claude-sonnet-4-5", 4_000L, 800L},
        new Object[] {"l-3", hour, "claude-haiku-4-5", 2_000L, 200L},
        new Object[] {"l-0", now.minus(Duration.ofDays(1)), "claude-haiku-4-5", 1_000L, 100L});
    for (Object[] c : calls) {
      usageAt("lyra", (String) c[0], "codeReview", (String) c[2], (Long) c[3], (Long) c[4], (Instant) c[1]);
    }
    JsonNode series = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
        .until(() -> seriesOf("lyra"), s -> s.get("burnDown").get("daily").get("used").get("inputTokens")
            .asLong() == 12_000);

    // Then: the API's hours hold exactly these calls, each in its local hour, with its cost and the routing mix
    JsonNode hours = series.get("hourly").get("points");
    Map<Instant, long[]> expected = new HashMap<>();
    for (Object[] c : calls.subList(0, 3)) {
      Instant start = ((Instant) c[1]).atZone(zone).truncatedTo(java.time.temporal.ChronoUnit.HOURS).toInstant();
      ModelSpec spec = CATALOG.get((String) c[2]);
      expected.merge(start, new long[] {(Long) c[3], (Long) c[4], Pricing.costMicros(spec, (Long) c[3], (Long) c[4],
          0), 1}, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]});
    }
    for (JsonNode point : hours) {
      long[] want = expected.getOrDefault(Instant.parse(point.get("start").asText()), new long[4]);
      assertThat(point.get("inputTokens").asLong()).as(point.toString()).isEqualTo(want[0]);
      assertThat(point.get("outputTokens").asLong()).as(point.toString()).isEqualTo(want[1]);
      assertThat(point.get("costMicros").asLong()).as(point.toString()).isEqualTo(want[2]);
      assertThat(point.get("calls").asLong()).as(point.toString()).isEqualTo(want[3]);
    }
    assertThat(hours.get(0).get("start").asText())
        .isEqualTo(now.atZone(zone).toLocalDate().atStartOfDay(zone).toInstant().toString());
    // the month's days: today's 12,000 input tokens, and yesterday's 1,000 when yesterday was in this month
    JsonNode days = series.get("daily").get("points");
    java.time.LocalDate today = now.atZone(zone).toLocalDate();
    assertThat(days).hasSize(today.getDayOfMonth());
    assertThat(days.get(days.size() - 1).get("inputTokens").asLong()).isEqualTo(12_000);
    if (today.getDayOfMonth() > 1) {
      assertThat(days.get(days.size() - 2).get("inputTokens").asLong()).isEqualTo(1_000);
    }
    // and the burn-down: 30% used; the rate is the usage since the start of the hour two before the API's "now"
    JsonNode burn = series.get("burnDown").get("daily");
    assertThat(burn.get("fraction").decimalValue()).isEqualByComparingTo("0.3");
    Instant at = Instant.parse(series.get("at").asText());
    Instant rateFrom = at.atZone(zone).truncatedTo(java.time.temporal.ChronoUnit.HOURS).minusHours(2).toInstant();
    long recent = calls.subList(0, 3).stream().filter(c -> !((Instant) c[1]).isBefore(rateFrom))
        .mapToLong(c -> (Long) c[3]).sum();
    double perSecond = recent / (Duration.between(rateFrom, at).toMillis() / 1000.0);
    JsonNode half = burn.get("thresholds").get(0);
    assertThat(half.get("threshold").decimalValue()).isEqualByComparingTo("0.5");
    Instant halfAt = at.plusMillis(Math.round((20_000 - 12_000) / perSecond * 1000));
    assertThat(Duration.between(halfAt, Instant.parse(half.get("at").asText())).abs())
        .isLessThanOrEqualTo(Duration.ofMillis(2));

    // When: lyra signs in with its own token
    browser.get(base() + "/");
    signOutIfSignedIn();
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(LYRA);
    browser.findElement(By.id("token-submit")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-team='lyra'] [data-chart]")));

    // Then: every chart draws the points of the summary the page was sent, and the series API has the same points
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
        .ignoreException(StaleElementReferenceException.class)
        .untilAsserted(() -> assertCharts(card(summary(LYRA), "lyra").get("series")));
    JsonNode card = card(summary(LYRA), "lyra").get("series");
    assertSamePoints(seriesOf("lyra"), card);
    // the thresholds under the burn-down chart are the API's
    WebElement lyra = browser.findElement(By.cssSelector("section[data-team='lyra']"));
    List<WebElement> listed = lyra.findElements(By.cssSelector("[data-chart='dailyBurnDown'] li[data-threshold]"));
    assertThat(listed).hasSize(card.get("burnDown").get("daily").get("thresholds").size());
    for (int i = 0; i < listed.size(); i++) {
      JsonNode threshold = card.get("burnDown").get("daily").get("thresholds").get(i);
      assertThat(value(listed.get(i), "dailyThresholdStatus")).isEqualTo(threshold.get("status").asText());
      assertThat(value(listed.get(i), "dailyThresholdAt")).isEqualTo(threshold.get("at").asText());
    }
    screenshot(Path.of("target/dashboard-charts-it.png"));

    // and the series come from the topics, not from memory: a restarted budget-service serves the same points
    service.close();
    service = new BudgetService(Settings.of(budgetSettings)).start();
    assertSamePoints(seriesOf("lyra"), card);
  }

  /**
   * The same hours and days; a series read a little later may have begun a new hour (the page's summary is as of
   * the minute), which is then empty.
   */
  private static void assertSamePoints(JsonNode later, JsonNode earlier) {
    for (String period : List.of("hourly", "daily")) {
      JsonNode before = earlier.get(period).get("points");
      JsonNode after = later.get(period).get("points");
      assertThat(after.size()).as(period).isBetween(before.size(), before.size() + 1);
      for (int i = 0; i < after.size(); i++) {
        if (i < before.size()) {
          assertThat(after.get(i)).as(period + " #" + i).isEqualTo(before.get(i));
        } else {
          assertThat(after.get(i).get("calls").asLong()).as(period + " #" + i).isZero();
        }
      }
    }
  }

  private static long sum(JsonNode points, String field) {
    long total = 0;
    for (JsonNode p : points) {
      total += p.get(field).asLong();
    }
    return total;
  }

  /** The drawn learning chart of orion against the API's minutes (x in seconds, cost share in percent). */
  @SuppressWarnings("unchecked")
  private void assertLearningChart(JsonNode minutes) {
    Map<String, Object> drawn = (Map<String, Object>) ((JavascriptExecutor) browser).executeScript("""
        const u = (window.modelRouterCharts['orion'] || {}).learning;
        return u ? {data: u.data, labels: u.series.map(s => s.label),
                    painted: u.ctx.canvas.width > 0 && u.ctx.canvas.height > 0} : null;""");
    assertThat(drawn).as("orion's learning chart").isNotNull();
    assertThat((Boolean) drawn.get("painted")).isTrue();
    assertThat((List<String>) drawn.get("labels")).containsExactly("Time", "Judged score (mean)",
        "Cost, % of all-frontier");
    List<List<Number>> data = (List<List<Number>>) drawn.get("data");
    assertThat(data.get(0)).hasSize(minutes.size());
    for (int i = 0; i < minutes.size(); i++) {
      JsonNode m = minutes.get(i);
      assertThat(data.get(0).get(i).doubleValue()).isEqualTo(Instant.parse(m.get("start").asText()).getEpochSecond());
      assertThat(data.get(1).get(i).doubleValue()).isEqualTo(m.get("meanScore").asDouble());
      if (m.get("costShare").isNull()) {
        assertThat(data.get(2).get(i)).isNull();
      } else {
        assertThat(data.get(2).get(i).doubleValue()).isCloseTo(m.get("costShare").asDouble() * 100,
            org.assertj.core.data.Offset.offset(1e-9));
      }
    }
  }

  /** The drawn arrays of each of lyra's charts against the API's points (uPlot's x is in seconds, money in dollars). */
  @SuppressWarnings("unchecked")
  private void assertCharts(JsonNode series) {
    Map<String, Object> drawn = (Map<String, Object>) ((JavascriptExecutor) browser).executeScript("""
        const out = {};
        for (const [name, u] of Object.entries(window.modelRouterCharts['lyra'] || {})) {
          out[name] = {data: u.data, labels: u.series.map(s => s.label),
                       painted: u.ctx.canvas.width > 0 && u.ctx.canvas.height > 0};
        }
        return out;""");
    assertThat(drawn).containsKeys("hourlySpend", "dailySpend", "hourlyMix", "dailyMix", "dailyBurnDown",
        "monthlyBurnDown");
    for (String period : List.of("hourly", "daily")) {
      JsonNode points = series.get(period).get("points");
      Map<String, Object> spend = (Map<String, Object>) drawn.get(period + "Spend");
      List<List<Number>> data = (List<List<Number>>) spend.get("data");
      assertThat((Boolean) spend.get("painted")).isTrue();
      assertThat((List<String>) spend.get("labels")).containsExactly("Time", "Cost (USD)",
          "All-frontier baseline (USD)", "Tokens (in + out)");
      assertThat(data.get(0)).hasSize(points.size());
      for (int i = 0; i < points.size(); i++) {
        JsonNode p = points.get(i);
        assertThat(data.get(0).get(i).doubleValue()).isEqualTo(Instant.parse(p.get("start").asText()).getEpochSecond());
        assertThat(data.get(1).get(i).doubleValue()).isCloseTo(p.get("costMicros").asLong() / 1e6,
            org.assertj.core.data.Offset.offset(1e-12));
        assertThat(data.get(2).get(i).doubleValue()).isCloseTo(p.get("baselineCostMicros").asLong() / 1e6,
            org.assertj.core.data.Offset.offset(1e-12));
        assertThat(data.get(3).get(i).longValue())
            .isEqualTo(p.get("inputTokens").asLong() + p.get("outputTokens").asLong());
      }
      Map<String, Object> mix = (Map<String, Object>) drawn.get(period + "Mix");
      List<String> models = ((List<String>) mix.get("labels")).subList(1, ((List<String>) mix.get("labels")).size());
      List<List<Number>> mixData = (List<List<Number>>) mix.get("data");
      java.util.Set<String> apiModels = new java.util.TreeSet<>();
      points.forEach(p -> p.get("callsByModel").fieldNames().forEachRemaining(apiModels::add));
      assertThat(models).containsExactlyInAnyOrderElementsOf(apiModels);
      for (int m = 0; m < models.size(); m++) {
        for (int i = 0; i < points.size(); i++) {
          assertThat(mixData.get(m + 1).get(i).longValue()).as(period + " " + models.get(m) + " #" + i)
              .isEqualTo(points.get(i).get("callsByModel").path(models.get(m)).asLong(0));
        }
      }
    }
    for (String window : List.of("daily", "monthly")) {
      JsonNode burn = series.get("burnDown").get(window);
      List<List<Number>> data = (List<List<Number>>) ((Map<String, Object>) drawn.get(window + "BurnDown"))
          .get("data");
      List<Number> xs = data.get(0);
      for (String[] line : new String[][] {{"points", "1"}, {"projection", "2"}}) {
        for (JsonNode p : burn.get(line[0])) {
          int index = xs.stream().map(Number::longValue).toList().indexOf(Instant.parse(p.get("at").asText())
              .getEpochSecond());
          assertThat(index).as(window + " " + line[0] + " " + p).isNotNegative();
          assertThat(data.get(Integer.parseInt(line[1])).get(index).doubleValue()).as(window + " " + p)
              .isCloseTo(p.get("fraction").asDouble() * 100, org.assertj.core.data.Offset.offset(1e-9));
        }
      }
      assertThat(data).hasSize(3 + burn.get("thresholds").size());
    }
  }

  private JsonNode seriesOf(String team) throws Exception {
    HttpResponse<String> response = send("GET", "/teams/" + team + "/usage/series", ADMIN, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return MAPPER.readTree(response.body());
  }

  /** A card as the API has it: state, reason, baseline, both windows, breakdowns, alerts and recent results. */
  private static void assertCard(WebElement page, JsonNode card) {
    assertThat(text(page, "state")).isEqualTo(card.get("state").asText());
    assertThat(text(page, "reason")).isEqualTo(card.get("reason").asText());
    assertThat(text(page, "baselineModel")).isEqualTo(card.get("baseline").get("model").asText());
    for (String window : List.of("daily", "monthly")) {
      assertWindow(page, window, card.get(window));
    }
    assertBreakdowns(page, card);
    assertThat(text(page, "alertsToday")).isEqualTo(card.get("alerts").get("today").asText());
    if (card.has("learning")) {
      assertThat(value(page, "learnedInUse")).isEqualTo(card.get("learning").get("inUse").asText());
      assertThat(value(page, "learnedExemplars")).isEqualTo(card.get("learning").get("exemplars").asText());
      assertThat(value(page, "latestScore"))
          .isEqualTo(card.get("learning").get("judgements").get("latestMeanScore").asText());
    }
    List<String> alertIds = new ArrayList<>();
    card.get("alerts").get("recent").forEach(a -> alertIds.add(a.get("alertId").asText()));
    assertThat(page.findElements(By.cssSelector("li[data-alert-id]"))).extracting(e -> e.getDomAttribute(
        "data-alert-id")).containsExactlyElementsOf(alertIds);
    assertThat(page.findElements(By.cssSelector("tr[data-request-id]"))).hasSize(card.get("results").size());
    for (JsonNode result : card.get("results")) {
      WebElement tr = page.findElement(By.cssSelector("tr[data-request-id='" + result.get("requestId").asText()
          + "']"));
      assertThat(text(tr, "routingReason")).isEqualTo(result.get("routingReason").asText());
      assertThat(text(tr, "model")).isEqualTo(result.get("model").asText());
      assertThat(text(tr, "status")).isEqualTo(result.get("status").asText());
      assertThat(value(tr, "cost")).isEqualTo(result.get("costMicros").asText());
    }
  }

  private WebElement orionCard() {
    return browser.findElement(By.cssSelector("section[data-team='orion']"));
  }

  private String orionValue(String field) {
    return value(orionCard(), field);
  }

  private static List<String> requestIds(JsonNode card) {
    List<String> ids = new ArrayList<>();
    card.get("results").forEach(r -> ids.add(r.get("requestId").asText()));
    return ids;
  }

  private static JsonNode resultOf(JsonNode card, String requestId) {
    for (JsonNode result : card.get("results")) {
      if (result.get("requestId").asText().equals(requestId)) {
        return result;
      }
    }
    throw new AssertionError("no result " + requestId + " in " + card.get("results"));
  }

  /** Both windows' tables by model and by task type: a row per API row, its numbers the API's. */
  private static void assertBreakdowns(WebElement page, JsonNode card) {
    for (String w : List.of("daily", "monthly")) {
      JsonNode byModel = card.get(w).get("byModel");
      WebElement models = page.findElement(By.cssSelector("[data-breakdown='" + w + ".byModel']"));
      assertThat(models.findElements(By.cssSelector("tr[data-model]"))).as(w + " models").hasSize(byModel.size());
      for (JsonNode row : byModel) {
        WebElement tr = models.findElement(By.cssSelector("tr[data-model='" + row.get("model").asText() + "']"));
        assertThat(text(tr, "calls")).isEqualTo(tokens(row.get("calls").asLong()));
        assertThat(text(tr, "inputTokens")).isEqualTo(tokens(row.get("inputTokens").asLong()));
        assertThat(text(tr, "outputTokens")).isEqualTo(tokens(row.get("outputTokens").asLong()));
        assertThat(value(tr, "cost")).isEqualTo(row.get("costMicros").asText());
        assertThat(text(tr, "cost")).isEqualTo(usd(row.get("costMicros").asLong()));
        assertThat(value(tr, "baselineCost")).isEqualTo(row.get("baselineCostMicros").asText());
      }
      JsonNode byTaskType = card.get(w).get("byTaskType");
      WebElement taskTypes = page.findElement(By.cssSelector("[data-breakdown='" + w + ".byTaskType']"));
      assertThat(taskTypes.findElements(By.cssSelector("tr[data-task-type]"))).as(w + " task types")
          .hasSize(byTaskType.size());
      for (JsonNode row : byTaskType) {
        WebElement tr = taskTypes.findElement(By.cssSelector("tr[data-task-type='" + row.get("taskType").asText()
            + "']"));
        assertThat(text(tr, "calls")).isEqualTo(tokens(row.get("calls").asLong()));
        assertThat(text(tr, "inputTokens")).isEqualTo(tokens(row.get("inputTokens").asLong()));
        assertThat(text(tr, "cost")).isEqualTo(usd(row.get("costMicros").asLong()));
      }
    }
  }

  /** Each gauge's used, limit and fraction, the window's state and its saving, as the API has them. */
  private static void assertWindow(WebElement page, String w, JsonNode api) {
    assertThat(text(page, w + "State")).as(w + " state").isEqualTo(api.get("state").asText());
    assertThat(value(page, w + "InputTokens")).isEqualTo(api.get("inputTokens").asText());
    assertThat(text(page, w + "InputTokens")).isEqualTo(tokens(api.get("inputTokens").asLong()));
    assertThat(value(page, w + "OutputTokens")).isEqualTo(api.get("outputTokens").asText());
    assertThat(text(page, w + "OutputTokens")).isEqualTo(tokens(api.get("outputTokens").asLong()));
    assertThat(value(page, w + "Cost")).isEqualTo(api.get("costMicros").asText());
    assertThat(text(page, w + "Cost")).isEqualTo(usd(api.get("costMicros").asLong()));
    assertFraction(page, w + "InputFraction", api.get("fractions").get("inputTokens"));
    assertFraction(page, w + "OutputFraction", api.get("fractions").get("outputTokens"));
    assertFraction(page, w + "CostFraction", api.get("fractions").get("cost"));
    JsonNode limits = api.get("limits");
    if (!limits.get("inputTokens").isNull()) {
      assertThat(value(page, w + "InputLimit")).isEqualTo(limits.get("inputTokens").asText());
      assertThat(text(page, w + "InputLimit")).isEqualTo(tokens(limits.get("inputTokens").asLong()));
    }
    if (!limits.get("costMicros").isNull()) {
      assertThat(value(page, w + "CostLimit")).isEqualTo(limits.get("costMicros").asText());
      assertThat(text(page, w + "CostLimit")).isEqualTo(usd(limits.get("costMicros").asLong()));
    }
    assertThat(value(page, w + "BaselineCost")).isEqualTo(api.get("baselineCostMicros").asText());
    assertThat(text(page, w + "BaselineCost")).isEqualTo(usd(api.get("baselineCostMicros").asLong()));
    assertThat(value(page, w + "Saved")).isEqualTo(api.get("savedMicros").asText());
    assertFraction(page, w + "SavedFraction", api.get("savedFraction"));
  }

  private static void assertFraction(WebElement page, String field, JsonNode api) {
    if (api.isNull()) {
      assertThat(value(page, field)).as(field).isEmpty();
      assertThat(text(page, field)).as(field).isEqualTo("—");
      return;
    }
    assertThat(new BigDecimal(value(page, field))).as(field).isEqualByComparingTo(api.decimalValue());
    assertThat(text(page, field)).as(field).isEqualTo(percent(api.decimalValue()));
  }

  @Test
  void teamTokenSeesOnlyItsOwnTeamAndARefusedTokenIsAskedForAgain() throws Exception {
    // Given: the page and its assets need no token; the data does
    assertThat(send("GET", "/", null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/dashboard/dashboard.js", null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/dashboard/summary", null, null).statusCode()).isEqualTo(401);
    JsonNode own = summary(ORION);
    assertThat(own.get("teams")).hasSize(1);
    assertThat(own.get("teams").get(0).get("team").asText()).isEqualTo("orion");

    // When: a wrong token, then orion's own
    browser.get(base() + "/");
    signOutIfSignedIn();
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys("not-a-token");
    browser.findElement(By.id("token-submit")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("login-error"), "401"));
    browser.findElement(By.id("token")).sendKeys(ORION);
    browser.findElement(By.id("token-submit")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("section[data-team='orion']")));

    // Then
    assertThat(browser.findElements(By.cssSelector("section[data-team]"))).extracting(e -> e.getDomAttribute(
        "data-team")).containsExactly("orion");
    assertThat(browser.findElement(By.id("viewer")).getText()).isEqualTo("Signed in as team token of orion");
    assertThat(browser.getPageSource()).doesNotContain(ORION, ADMIN);
  }

  // ---------------------------------------------------------------- page helpers

  private static String value(WebElement scope, String field) {
    return scope.findElement(By.cssSelector("[data-field='" + field + "']")).getDomAttribute("data-value");
  }

  private static String text(WebElement scope, String field) {
    return scope.findElement(By.cssSelector("[data-field='" + field + "']")).getText();
  }

  private void signOutIfSignedIn() {
    List<WebElement> signOut = browser.findElements(By.id("sign-out"));
    if (!signOut.isEmpty() && signOut.get(0).isDisplayed()) {
      signOut.get(0).click();
    }
  }

  private void screenshot() throws IOException {
    screenshot(SCREENSHOT);
  }

  private void screenshot(Path file) throws IOException {
    byte[] png = ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES);
    Path target = file.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Files.write(target, png);
  }

  // The page's formats, written out: thousands separators, dollars to the cent (to a hundredth of a cent below a
  // dollar), percent to a tenth rounded down.
  private static String tokens(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String usd(long micros) {
    int scale = micros != 0 && Math.abs(micros) < 1_000_000 ? 4 : 2;
    return String.format(Locale.ROOT, "$%,." + scale + "f",
        BigDecimal.valueOf(micros, 6).setScale(scale, RoundingMode.HALF_UP));
  }

  private static String percent(BigDecimal fraction) {
    return fraction.movePointRight(2).setScale(1, RoundingMode.FLOOR).toPlainString() + "%";
  }

  // ---------------------------------------------------------------- Kafka and HTTP helpers

  private void usage(String team, String requestId, String taskType, String model, long input, long output,
      long cached) throws Exception {
    usage(team, requestId, taskType, model, input, output, cached, Instant.now());
  }

  private void usageAt(String team, String requestId, String taskType, String model, long input, long output,
      Instant at) throws Exception {
    usage(team, requestId, taskType, model, input, output, 0, at);
  }

  private void usage(String team, String requestId, String taskType, String model, long input, long output,
      long cached, Instant at) throws Exception {
    ModelSpec spec = CATALOG.get(model);
    produce(topics.usage(), team, UsageEvent.newBuilder()
        .setEventId(requestId + "#1").setRequestId(requestId).setTeamId(team).setSessionId("s-" + team)
        .setTaskType(taskType).setProvider(spec.getProvider()).setModel(model)
        .setInputTokens(input).setOutputTokens(output).setCachedInputTokens(cached)
        .setCostMicros(Pricing.costMicros(spec, input, output, cached))
        .setCreditsMicros(Pricing.creditsMicros(spec, input, output))
        .setFinalCall(true).setEventTime(at).build());
  }

  private void result(String team, String requestId, String profile, String model, String reason)
      throws Exception {
    ModelSpec spec = CATALOG.get(model);
    produce(topics.results(), team, InferenceResult.newBuilder()
        .setRequestId(requestId).setTeamId(team).setStatus(ResultStatus.OK).setProfile(profile)
        .setProvider(spec.getProvider()).setModel(model).setContent("done")
        .setUsage(new TokenUsage(100L, 50L, 0L, 0L, 0L, false)).setCostMicros(Pricing.costMicros(spec, 100, 50, 0))
        .setAttempts(List.<Attempt>of()).setRoutingReason(reason).setCompletedAt(Instant.now()).build());
  }

  /** A request for orion on llm.requests, for the real router and worker to answer. */
  private void submit(String requestId, String taskType) throws Exception {
    InferenceRequest request = SampleRecords.request(requestId, "orion");
    request.setTaskType(taskType);
    request.setDeadline(null);
    request.setCreatedAt(Instant.now());
    produce(topics.requests(), "orion", request);
  }

  private <V> void produce(Topic<String, V> topic, String key, V value) throws Exception {
    producer.send(new ProducerRecord<>(topic.name(), topic.serializeKey(key), topic.serializeValue(value))).get();
  }

  private String base() {
    return "http://localhost:" + service.port();
  }

  private JsonNode summary(String token) throws Exception {
    HttpResponse<String> response = send("GET", "/dashboard/summary", token, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return MAPPER.readTree(response.body());
  }

  private static JsonNode card(JsonNode summary, String team) {
    for (JsonNode card : summary.get("teams")) {
      if (card.get("team").asText().equals(team)) {
        return card;
      }
    }
    return null;
  }

  private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path))
        .header("Accept", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
