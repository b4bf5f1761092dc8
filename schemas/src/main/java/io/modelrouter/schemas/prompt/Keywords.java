package io.modelrouter.schemas.prompt;

/**
 * The complexity keywords, hashed (64-bit FNV-1a of the lower-cased word) into one open-addressing table: one
 * probe sequence per word, no allocation. Two-word phrases hash as {@link #phrase}; their first words are marked
 * so that phrases are looked up only after such a word.
 */
final class Keywords {
  static final long FNV_OFFSET = 0xcbf29ce484222325L;
  static final long FNV_PRIME = 0x100000001b3L;

  static final int NONE = 0;
  /** Kind bits: the low 6 bits are the keyword's concept within its category (its bit in the mask). */
  static final int INTEGRATION = 1 << 8;
  static final int REASONING = 1 << 9;
  static final int PHRASE_START = 1 << 10;
  static final int EXTENSION = 1 << 11;

  /**
   * One concept per entry, each with its spellings (singular, plural, verb forms, British spelling, a two-word phrase
   * and its one-word form): all the variants of a concept set the same bit, so "the API and the APIs" is one
   * integration point, not two.
   */
  static final String[][] INTEGRATION_CONCEPTS = {{"api", "apis"}, {"endpoint", "endpoints"}, {"rest"},
      {"graphql"}, {"grpc"}, {"webhook", "webhooks"},
      {"migration", "migrations", "migrate", "migrates", "migrated", "migrating"}, {"schema", "schemas"},
      {"database", "databases"}, {"sql"}, {"security"}, {"auth", "authentication", "authenticate"},
      {"authorization", "authorisation", "authorize", "authorise"}, {"oauth"}, {"jwt"},
      {"encryption", "encrypt", "encrypted"}, {"payment", "payments"}, {"billing"}, {"kafka"}, {"queue", "queues"},
      {"integration", "integrations", "integrate"}, {"external"}, {"sdk", "sdks"}, {"third party"}};
  /**
   * As {@link #INTEGRATION_CONCEPTS}. "why" is not one: it opens too many plain questions ("why is the build red?")
   * to say anything about reasoning.
   */
  static final String[][] REASONING_CONCEPTS = {{"architecture", "architectures", "architectural"},
      {"design", "designs"}, {"tradeoff", "tradeoffs", "trade off", "trade offs"}, {"prove", "proves", "proof"},
      {"analyze", "analyse", "analysis", "analyses"}, {"investigate", "investigation"}, {"root cause", "root causes"},
      {"edge case", "edge cases"}, {"concurrency", "concurrent"}, {"race condition", "race conditions"},
      {"deadlock", "deadlocks"}, {"optimize", "optimise", "optimization", "optimisation"},
      {"refactor", "refactoring"}, {"strategy", "strategies"}, {"evaluate", "evaluation"}, {"compare", "comparison"},
      {"validate", "validation"}, {"audit"}, {"invariant", "invariants"}, {"novel"}};
  static final String[] SOURCE_EXTENSIONS = {"java", "kt", "scala", "py", "ts", "tsx", "js", "jsx", "go", "rs",
      "rb", "c", "h", "cc", "cpp", "hpp", "cs", "swift", "sql", "yaml", "yml", "json", "toml", "xml", "proto", "avsc",
      "tf", "sh", "gradle", "md", "html", "css", "vue", "php"};

  private static final int SIZE = 512;
  private static final int MASK = SIZE - 1;
  private static final long[] KEYS = new long[SIZE];
  private static final int[] KINDS = new int[SIZE];
  private static final long[] EXTENSION_KEYS = new long[128];

  static {
    add(INTEGRATION_CONCEPTS, INTEGRATION);
    add(REASONING_CONCEPTS, REASONING);
    for (String extension : SOURCE_EXTENSIONS) {
      long h = hash(extension);
      int slot = slot(h, EXTENSION_KEYS.length - 1);
      while (EXTENSION_KEYS[slot] != 0) {
        slot = (slot + 1) & (EXTENSION_KEYS.length - 1);
      }
      EXTENSION_KEYS[slot] = h;
    }
  }

  private Keywords() {}

  /** Every variant of concept {@code i} gets kind {@code category | i}: its bit in the category's mask is i. */
  private static void add(String[][] concepts, int category) {
    if (concepts.length > 64) {
      throw new IllegalStateException("more concepts than bits in a mask: " + concepts.length);
    }
    for (int i = 0; i < concepts.length; i++) {
      for (String variant : concepts[i]) {
        String[] parts = variant.split(" ");
        long h = hash(parts[0]);
        if (parts.length == 2) {
          put(h, PHRASE_START);
          h = phrase(h, hash(parts[1]));
        }
        if ((lookup(h) & (INTEGRATION | REASONING)) != 0) {
          throw new IllegalStateException("keyword '" + variant + "' belongs to two concepts");
        }
        put(h, category | i);
      }
    }
  }

  private static void put(long hash, int kind) {
    int slot = slot(hash, MASK);
    while (KEYS[slot] != 0 && KEYS[slot] != hash) {
      slot = (slot + 1) & MASK;
    }
    KEYS[slot] = hash;
    KINDS[slot] |= kind;
  }

  /** The kind bits of a word or phrase hash, or {@link #NONE}. */
  static int lookup(long hash) {
    int slot = slot(hash, MASK);
    while (true) {
      long key = KEYS[slot];
      if (key == hash) {
        return KINDS[slot];
      }
      if (key == 0) {
        return NONE;
      }
      slot = (slot + 1) & MASK;
    }
  }

  static boolean startsPhrase(int kind) {
    return (kind & PHRASE_START) != 0;
  }

  static boolean isSourceExtension(long hash) {
    int mask = EXTENSION_KEYS.length - 1;
    int slot = slot(hash, mask);
    while (true) {
      long key = EXTENSION_KEYS[slot];
      if (key == hash) {
        return true;
      }
      if (key == 0) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
  }

  static long phrase(long first, long second) {
    return (first * 31 + 0x20) ^ (second * FNV_PRIME);
  }

  static long hash(String word) {
    long h = FNV_OFFSET;
    for (int i = 0; i < word.length(); i++) {
      h = (h ^ word.charAt(i)) * FNV_PRIME;
    }
    return h;
  }

  private static int slot(long hash, int mask) {
    return (int) (hash ^ (hash >>> 32)) & mask;
  }
}
