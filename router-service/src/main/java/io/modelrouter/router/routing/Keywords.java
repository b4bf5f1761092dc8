package io.modelrouter.router.routing;

/**
 * The complexity keywords, hashed (64-bit FNV-1a of the lower-cased word) into one open-addressing table: one
 * probe sequence per word, no allocation. Two-word phrases hash as {@link #phrase}; their first words are marked
 * so that phrases are looked up only after such a word.
 */
final class Keywords {
  static final long FNV_OFFSET = 0xcbf29ce484222325L;
  static final long FNV_PRIME = 0x100000001b3L;

  static final int NONE = 0;
  /** Kind bits: the low 6 bits are the keyword's index within its category (its bit in the mask). */
  static final int INTEGRATION = 1 << 8;
  static final int REASONING = 1 << 9;
  static final int PHRASE_START = 1 << 10;
  static final int EXTENSION = 1 << 11;

  static final String[] INTEGRATION_WORDS = {"api", "apis", "endpoint", "endpoints", "rest", "graphql", "grpc",
      "webhook", "webhooks", "migration", "migrations", "migrate", "schema", "schemas", "database", "databases", "sql",
      "security", "auth", "authentication", "authorization", "oauth", "jwt", "encryption", "payment", "payments",
      "billing", "kafka", "queue", "queues", "integration", "integrations", "external", "sdk", "third party"};
  static final String[] REASONING_WORDS = {"architecture", "architectural", "design", "tradeoff", "tradeoffs",
      "trade off", "trade offs", "why", "prove", "proof", "analyze", "analyse", "analysis", "investigate", "root cause",
      "edge case", "edge cases", "concurrency", "concurrent", "race condition", "deadlock", "optimize", "optimise",
      "refactor", "strategy", "evaluate", "compare", "validate", "audit", "invariant", "invariants", "novel"};
  static final String[] SOURCE_EXTENSIONS = {"java", "kt", "scala", "py", "ts", "tsx", "js", "jsx", "go", "rs",
      "rb", "c", "h", "cc", "cpp", "hpp", "cs", "swift", "sql", "yaml", "yml", "json", "toml", "xml", "proto", "avsc",
      "tf", "sh", "gradle", "md", "html", "css", "vue", "php"};

  private static final int SIZE = 512;
  private static final int MASK = SIZE - 1;
  private static final long[] KEYS = new long[SIZE];
  private static final int[] KINDS = new int[SIZE];
  private static final long[] EXTENSION_KEYS = new long[128];

  static {
    add(INTEGRATION_WORDS, INTEGRATION);
    add(REASONING_WORDS, REASONING);
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

  private static void add(String[] words, int category) {
    for (int i = 0; i < words.length; i++) {
      String[] parts = words[i].split(" ");
      long h = hash(parts[0]);
      if (parts.length == 2) {
        put(h, PHRASE_START);
        h = phrase(h, hash(parts[1]));
      }
      put(h, category | i);
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
