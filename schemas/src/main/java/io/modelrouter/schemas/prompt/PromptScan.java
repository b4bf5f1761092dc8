package io.modelrouter.schemas.prompt;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One pass over prompt text that yields both the token-estimate features ({@link TokenEstimator}) and the complexity
 * features ({@link ComplexityEstimator}): words, long-word excess, digit groups, symbols, newlines, indentation runs
 * and non-ASCII characters for the estimate; fenced code blocks, distinct file paths, and distinct integration and
 * reasoning keywords for the score.
 *
 * <p>The router scans every prompt, so this loop is its main CPU cost. It works run by run rather than character by
 * character: an alphanumeric run is consumed (and hashed for the keyword table) in a tight inner loop, a run of
 * spaces likewise, and a whitespace-separated token is examined as a possible file path only if it held a '/' or a
 * '.', by re-reading just that token.
 *
 * <p>Not thread-safe; one per request. Complexity features accumulate over every {@link #scan} call.
 */
public final class PromptScan {
  private static final byte LETTER = 1;
  private static final byte UPPER = 2;
  private static final byte DIGIT = 4;
  private static final byte SPACE = 8;
  /** Ends a whitespace-separated token. */
  private static final byte SEPARATOR = 16;
  private static final byte PATH_CHAR = 32;
  /** Class of each byte value; bytes of non-ASCII characters are 0 (part of a token, not a letter). */
  private static final byte[] CLASS = new byte[256];

  static {
    for (char c = 'a'; c <= 'z'; c++) {
      CLASS[c] = LETTER;
    }
    for (char c = 'A'; c <= 'Z'; c++) {
      CLASS[c] = LETTER | UPPER;
    }
    for (char c = '0'; c <= '9'; c++) {
      CLASS[c] = DIGIT;
    }
    CLASS[' '] = SPACE | SEPARATOR;
    CLASS['\t'] = SPACE | SEPARATOR;
    for (char c : "\n\r`()\"'<>[],".toCharArray()) {
      CLASS[c] |= SEPARATOR;
    }
    CLASS['/'] = PATH_CHAR;
    CLASS['.'] = PATH_CHAR;
  }

  // token features of the last scanned text, in the order of TokenEstimator.WEIGHTS
  final double[] tokenFeatures = new double[7];

  private int fences;
  private long integrationMask;
  private long reasoningMask;
  private long[] files = new long[8];
  private int fileCount;

  /** Scans one text; returns its estimated tokens (0 for empty text). */
  public int scan(CharSequence text) {
    if (text == null || text.isEmpty()) {
      Arrays.fill(tokenFeatures, 0);
      return 0;
    }
    byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
    return scan(utf8, 0, utf8.length);
  }

  /**
   * Scans one text given as UTF-8 (as Avro carries it, so the router needs no String of the prompt); returns its
   * estimated tokens (0 for empty text). A character outside ASCII counts once in {@code NON_ASCII} by its leading
   * byte (twice for a 4-byte sequence: Java counts it as two chars, and so did the fit); its continuation bytes only
   * continue the token it is part of.
   */
  public int scan(byte[] text, int offset, int length) {
    Arrays.fill(tokenFeatures, 0);
    if (length == 0) {
      return 0;
    }
    int words = 0;
    int longExcess = 0;
    int digitGroups = 0;
    int symbols = 0;
    int newlines = 0;
    int indentRuns = 0;
    int nonAscii = 0;
    int backticks = 0;
    long previousWord = 0;
    boolean phraseOpen = false;
    int tokenStart = -1;
    boolean tokenHasPathChar = false;
    int n = offset + length;
    int i = offset;
    while (i < n) {
      int c = text[i] & 0xff;
      byte k = CLASS[c];
      if ((k & (LETTER | DIGIT)) != 0) {
        // an alphanumeric run: letter runs, digit groups and the keyword hash, in one tight loop
        if (tokenStart < 0) {
          tokenStart = i;
        }
        long hash = Keywords.FNV_OFFSET;
        int letterRun = 0;
        int digitRun = 0;
        do {
          if ((k & LETTER) != 0) {
            if (letterRun == 0) {
              words++;
            }
            letterRun++;
            digitRun = 0;
            hash = (hash ^ (c | ((k & UPPER) << 4))) * Keywords.FNV_PRIME;
          } else {
            if (digitRun % 3 == 0) {
              digitGroups++;
            }
            digitRun++;
            if (letterRun > 6) {
              longExcess += letterRun - 6;
            }
            letterRun = 0;
            hash = (hash ^ c) * Keywords.FNV_PRIME;
          }
          if (++i == n) {
            break;
          }
          c = text[i] & 0xff;
          k = CLASS[c];
        } while ((k & (LETTER | DIGIT)) != 0);
        if (letterRun > 6) {
          longExcess += letterRun - 6;
        }
        int kind = Keywords.lookup(hash);
        if (kind != Keywords.NONE) {
          mark(kind);
        }
        if (phraseOpen) {
          int phrase = Keywords.lookup(Keywords.phrase(previousWord, hash));
          if (phrase != Keywords.NONE) {
            mark(phrase);
          }
        }
        boolean joined = i < n && (c == ' ' || c == '-' || c == '\n' || c == '\r' || c == '\t');
        phraseOpen = joined && Keywords.startsPhrase(kind);
        previousWord = hash;
        backticks = 0;
        continue;
      }
      if ((k & SPACE) != 0) {
        int start = i;
        do {
          i++;
        } while (i < n && (text[i] == ' ' || text[i] == '\t'));
        if (i - start > 1) {
          indentRuns++;
        }
        if (tokenStart >= 0) {
          tokenHasPathChar = endToken(text, tokenStart, start, tokenHasPathChar);
          tokenStart = -1;
        }
        backticks = 0;
        continue;
      }
      // any other single character (or byte of one)
      if (c == '\n') {
        newlines++;
      } else if (c >= 0xc0) {
        nonAscii += c >= 0xf0 ? 2 : 1;
      } else if (c < 0x80 && c != '\r') {
        symbols++;
      }
      if (c == '`') {
        if (++backticks == 3) {
          fences++;
        }
      } else {
        backticks = 0;
      }
      if (c != '-' && c != '\n' && c != '\r') {
        phraseOpen = false; // a phrase may be split by a hyphen or a line break ("root\ncause"), nothing else
      }
      if ((k & SEPARATOR) != 0) {
        if (tokenStart >= 0) {
          tokenHasPathChar = endToken(text, tokenStart, i, tokenHasPathChar);
          tokenStart = -1;
        }
      } else {
        if (tokenStart < 0) {
          tokenStart = i;
        }
        tokenHasPathChar |= (k & PATH_CHAR) != 0;
      }
      i++;
    }
    if (tokenStart >= 0) {
      endToken(text, tokenStart, n, tokenHasPathChar);
    }
    tokenFeatures[TokenEstimator.WORDS] = words;
    tokenFeatures[TokenEstimator.LONG_WORD_EXCESS] = longExcess;
    tokenFeatures[TokenEstimator.DIGIT_GROUPS] = digitGroups;
    tokenFeatures[TokenEstimator.SYMBOLS] = symbols;
    tokenFeatures[TokenEstimator.NEWLINES] = newlines;
    tokenFeatures[TokenEstimator.INDENT_RUNS] = indentRuns;
    tokenFeatures[TokenEstimator.NON_ASCII] = nonAscii;
    return TokenEstimator.tokens(tokenFeatures);
  }

  /** Records the token [start, end) as a file if it looks like one; returns the reset path-char flag. */
  private boolean endToken(byte[] text, int start, int end, boolean hasPathChar) {
    if (hasPathChar) {
      path(text, start, end);
    }
    return false;
  }

  /** A path has a '/' between other characters, or ends in a known source extension; URLs are not paths. */
  private void path(byte[] text, int start, int end) {
    while (end > start && isTrailingPunctuation(text[end - 1])) {
      end--;
    }
    if (end - start < 3 || (end - start > 4 && text[start] == 'h' && text[start + 1] == 't'
        && text[start + 2] == 't' && text[start + 3] == 'p')) {
      return;
    }
    boolean slash = false;
    int lastDot = -1;
    for (int i = start; i < end; i++) {
      byte c = text[i];
      if (c == '/' && i > start && i < end - 1) {
        slash = true;
      } else if (c == '.') {
        lastDot = i;
      }
    }
    boolean extension = false;
    if (lastDot > start && lastDot < end - 1) {
      long hash = Keywords.FNV_OFFSET;
      for (int i = lastDot + 1; i < end; i++) {
        int c = text[i] & 0xff;
        hash = (hash ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * Keywords.FNV_PRIME;
      }
      extension = Keywords.isSourceExtension(hash);
    }
    if (slash || extension) {
      long hash = Keywords.FNV_OFFSET;
      for (int i = start; i < end; i++) {
        hash = (hash ^ (text[i] & 0xff)) * Keywords.FNV_PRIME;
      }
      for (int i = 0; i < fileCount; i++) {
        if (files[i] == hash) {
          return;
        }
      }
      if (fileCount == files.length) {
        files = Arrays.copyOf(files, fileCount * 2);
      }
      files[fileCount++] = hash;
    }
  }

  private static boolean isTrailingPunctuation(byte c) {
    return c == '.' || c == ',' || c == ':' || c == ';' || c == '!' || c == '?';
  }

  private void mark(int kind) {
    int bit = kind & 63;
    if ((kind & Keywords.INTEGRATION) != 0) {
      integrationMask |= 1L << bit;
    } else if ((kind & Keywords.REASONING) != 0) {
      reasoningMask |= 1L << bit;
    }
  }

  /** Fenced code blocks seen (each opening and closing fence counts). */
  public int fences() {
    return fences;
  }

  /** One bit per distinct integration concept seen. */
  public long integrationMask() {
    return integrationMask;
  }

  /** One bit per distinct reasoning concept seen. */
  public long reasoningMask() {
    return reasoningMask;
  }

  public int distinctFiles() {
    return fileCount;
  }
}
