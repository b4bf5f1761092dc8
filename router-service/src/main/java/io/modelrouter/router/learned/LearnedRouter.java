package io.modelrouter.router.learned;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the {@code learned} strategy asks for a request: the kNN model's per-tier probabilities. The model (the
 * embedding model and the shipped training exemplars, embedded once) is built on first use, so a router whose
 * policies never say {@code learned} does not load it. Embeddings of recent texts are cached by text, so a prompt
 * seen again (a retry, a repeated step of a pipeline) is not embedded twice. A team's learned model (a version
 * published by the learner on {@code llm.router.models}) adds its exemplars to the shipped ones; the combined models
 * of the versions in use are kept, so a version is decoded once. Thread-safe.
 */
public final class LearnedRouter {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LearnedRouter.class);
  /** Texts whose embeddings are kept: 10,000 vectors of 384 floats, about 15 MB. */
  public static final int CACHE_ENTRIES = 10_000;

  private final Supplier<PromptEmbedder> embedderFactory;
  private final Function<PromptEmbedder, KnnTierModel> modelFactory;
  private volatile PromptEmbedder embedder;
  private volatile KnnTierModel model;
  private final Map<String, float[]> cache = new LinkedHashMap<>(1 << 10, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
      return size() > CACHE_ENTRIES;
    }
  };

  /** Team models (shipped plus a version's learned exemplars) kept decoded. */
  public static final int TEAM_MODELS = 256;
  private final Map<String, KnnTierModel> teamModels = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, KnnTierModel> eldest) {
      return size() > TEAM_MODELS;
    }
  };

  /** @param model builds the model with the embedder, which it shares with the requests' embeddings */
  public LearnedRouter(Supplier<PromptEmbedder> embedder, Function<PromptEmbedder, KnnTierModel> model) {
    this.embedderFactory = Objects.requireNonNull(embedder);
    this.modelFactory = Objects.requireNonNull(model);
  }

  private static volatile String shippedVersion;

  /** The version of the shipped model, {@code shipped-<exemplars>}, without building it. */
  public static String shippedVersion() {
    String version = shippedVersion;
    if (version == null) {
      version = "shipped-" + Exemplar.load(Exemplar.TRAIN).size();
      shippedVersion = version;
    }
    return version;
  }

  private static final LearnedRouter SHIPPED = new LearnedRouter(MiniLmEmbedder::new, LearnedRouter::shippedModel);

  /**
   * The shipped model over {@code exemplars/train.jsonl}: the kNN vote (k 9, temperature 0.05) with the ordinal
   * logistic model as its prior (weight 1).
   */
  public static KnnTierModel shippedModel(PromptEmbedder embedder) {
    List<Exemplar> train = Exemplar.load(Exemplar.TRAIN);
    List<float[]> vectors = new ArrayList<>(train.size());
    for (Exemplar exemplar : train) {
      vectors.add(embedder.embed(exemplar.text()));
    }
    return KnnTierModel.fit(train, vectors, KnnTierModel.DEFAULT_K, KnnTierModel.DEFAULT_TEMPERATURE, "knn")
        .withPrior(LogisticTierModel.fit(train, vectors, LogisticTierModel.DEFAULT_LAMBDA,
            LogisticTierModel.DEFAULT_EPOCHS), PRIOR_WEIGHT, shippedVersion());
  }

  /** The logistic prior's weight in the vote: as much as one neighbour of similarity 1. */
  public static final double PRIOR_WEIGHT = 1.0;

  /**
   * The shipped model: MiniLM embeddings, k-NN over {@code exemplars/train.jsonl}; one per JVM, so that the router
   * and the learner of a local stack share one ONNX session and one set of exemplar vectors.
   */
  public static LearnedRouter shipped() {
    return SHIPPED;
  }

  /**
   * Builds the embedding model (about 100 MB and 4 s of CPU) and the shipped exemplars' vectors on a thread of its
   * own, so that the first request a learned policy routes does not wait for them inside its transaction, but only
   * once {@code embeddingWanted} says a policy uses it, asked every {@link #EMBEDDING_CHECK} until it does: a router
   * whose policies judge with the lexical model alone (the shipped one) does not spend a restart's seconds on it. The
   * check throwing {@link java.util.concurrent.CancellationException} ends the thread (its service closed). The
   * lexical model is fitted apart ({@link LexicalTierModel#fitInBackground}).
   */
  public Thread preloadInBackground(java.util.function.BooleanSupplier embeddingWanted) {
    return preloadInBackground(embeddingWanted, EMBEDDING_CHECK);
  }

  /** With another interval between the checks (for tests). */
  Thread preloadInBackground(java.util.function.BooleanSupplier embeddingWanted, Duration every) {
    return Thread.ofPlatform().daemon().name("learned-model-preload").start(() -> {
      try {
        while (!wanted(embeddingWanted)) {
          Thread.sleep(every);
        }
      } catch (InterruptedException | java.util.concurrent.CancellationException e) {
        return;
      }
      try {
        long start = System.nanoTime();
        KnnTierModel loaded = model();
        LOG.info("learned model {} preloaded ({} exemplars) in "
            + "{} ms", loaded.version(), loaded.size(), (System.nanoTime() - start) / 1_000_000);
      } catch (RuntimeException e) {
        LOG.error("the embedding model could not be preloaded; "
            + "learned policies will fail their requests until it can: {}", e.toString(), e);
      }
    });
  }

  /** How often the preload thread asks whether a policy uses the embedding model. */
  public static final Duration EMBEDDING_CHECK = Duration.ofSeconds(5);

  private static boolean wanted(java.util.function.BooleanSupplier embeddingWanted) {
    try {
      return embeddingWanted.getAsBoolean();
    } catch (java.util.concurrent.CancellationException e) {
      throw e;
    } catch (RuntimeException e) {
      LOG.debug("could not tell whether a policy uses the embedding model yet: {}", e.toString());
      return false;
    }
  }

  /** The text a request is judged by: its task type, system prompt and last user message (the current ask). */
  public static String text(InferenceRequest request) {
    return Exemplar.text(request.getTaskType(), request.getSystemPrompt(), ask(request));
  }

  /**
   * The text a request is judged by, cut as it is embedded ({@link MiniLmEmbedder#MAX_CHARS}): what the learner keeps
   * of a learned decision, and what a team's learned exemplars are compared with.
   */
  public static String judgedText(InferenceRequest request) {
    String text = text(request);
    return text.length() > MiniLmEmbedder.MAX_CHARS ? text.substring(0, MiniLmEmbedder.MAX_CHARS) : text;
  }

  /** A request's current ask: its last user message (else its last message). */
  public static String ask(InferenceRequest request) {
    String ask = null;
    for (Message message : request.getMessages()) {
      if (message != null && message.getRole() == Role.USER && message.getContent() != null) {
        ask = message.getContent();
      }
    }
    if (ask == null && !request.getMessages().isEmpty() && request.getMessages().getLast() != null) {
      ask = request.getMessages().getLast().getContent();
    }
    return ask;
  }

  public KnnTierModel.Prediction predict(InferenceRequest request) {
    return predict(request, null);
  }

  /** With a team's learned model version, or the shipped model when {@code teamModel} is null. */
  public KnnTierModel.Prediction predict(InferenceRequest request, RouterModel teamModel) {
    String ask = ask(request);
    return model(teamModel).predict(embedding(Exemplar.text(request.getTaskType(), request.getSystemPrompt(), ask)),
        request.getTaskType(), ask);
  }

  /** The model a version of a team's learned model stands for: the shipped exemplars and the version's. */
  public KnnTierModel model(RouterModel teamModel) {
    KnnTierModel shipped = model();
    if (teamModel == null) {
      return shipped;
    }
    // the publication time too: a learner whose state was reset numbers its versions from 1 again
    String version = Topics.routerModelKey(teamModel.getTeamId(), teamModel.getVersion()) + "@"
        + teamModel.getCreatedAt().toEpochMilli();
    synchronized (teamModels) {
      KnnTierModel cached = teamModels.get(version);
      if (cached != null) {
        return cached;
      }
    }
    KnnTierModel combined = shipped.with(LearnedPoints.of(teamModel, shipped.dimensions()),
        teamModel.getTeamId() + "@" + teamModel.getVersion());
    synchronized (teamModels) {
      teamModels.put(version, combined);
    }
    return combined;
  }

  /** Empties the embedding cache, so that a benchmark's next round embeds its prompts again. */
  public void forgetEmbeddings() {
    synchronized (cache) {
      cache.clear();
    }
  }

  /** The embedding of a text, from the cache or the embedding model. */
  public float[] embedding(String text) {
    float[] vector;
    synchronized (cache) {
      vector = cache.get(text);
    }
    if (vector == null) {
      vector = embedder().embed(text);
      synchronized (cache) {
        cache.put(text, vector);
      }
    }
    return vector;
  }

  private PromptEmbedder embedder() {
    PromptEmbedder e = embedder;
    if (e == null) {
      synchronized (this) {
        if (embedder == null) {
          embedder = embedderFactory.get();
        }
        e = embedder;
      }
    }
    return e;
  }

  private KnnTierModel model() {
    KnnTierModel m = model;
    if (m == null) {
      synchronized (this) {
        if (model == null) {
          model = modelFactory.apply(embedder());
        }
        m = model;
      }
    }
    return m;
  }
}
