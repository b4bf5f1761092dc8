package io.modelrouter.router.internal;

import io.modelrouter.avro.QueuedRequest;
import io.modelrouter.avro.RateBucket;
import io.modelrouter.avro.RateLimits;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Per-team rate limits (a routing policy's {@code rateLimits}) as two token buckets per team, one of requests and one
 * of estimated tokens, each refilled continuously at its per-minute rate and holding at most {@code burstSeconds} of
 * it (at least one request). A request passes when each limited bucket holds what it takes (a bucket that is full
 * lets a request larger than it through, and owes the difference, so a large request is delayed but never stuck),
 * and nothing of its team waits before it. Otherwise it waits in the team's queue, in arrival order, until
 * {@link #release} lets it go or its deadline passes.
 *
 * <p>Both buckets and the queue are state stores of the router's task for the team's partition (keyed by team), so a
 * limit holds across any number of router instances and a request waiting when an instance dies waits on in the
 * instance that takes the partition over, from the changelog. A team whose queue is empty and whose buckets are full
 * has no entry: the store holds only the teams being limited now.
 */
final class RateLimiter {
  /** What {@link #offer} decided. */
  enum Verdict { PASS, QUEUED, QUEUE_FULL }

  private final KeyValueStore<String, RateBucket> buckets;
  private final KeyValueStore<String, QueuedRequest> queue;

  RateLimiter(KeyValueStore<String, RateBucket> buckets, KeyValueStore<String, QueuedRequest> queue) {
    this.buckets = buckets;
    this.queue = queue;
  }

  /** Lets the request through (taking what it costs), or queues it. */
  Verdict offer(String team, RateLimits limits, long tokens, java.util.function.Supplier<QueuedRequest> waiting,
      Instant now) {
    RateBucket bucket = bucket(team, limits, now);
    long queued = bucket.getTail() - bucket.getHead();
    if (queued == 0 && allows(bucket, limits, tokens)) {
      take(bucket, limits, tokens);
      save(team, bucket, limits, now);
      return Verdict.PASS;
    }
    return enqueue(team, bucket, limits, waiting, now);
  }

  /**
   * Queues a request behind the team's waiting ones without looking at it (its tokens and deadline unknown: they are
   * read when it reaches the head). Only for a team that has requests waiting: the caller checked {@link #waiting}.
   */
  Verdict enqueue(String team, RateLimits limits, java.util.function.Supplier<QueuedRequest> waiting, Instant now) {
    return enqueue(team, bucket(team, limits, now), limits, waiting, now);
  }

  private Verdict enqueue(String team, RateBucket bucket, RateLimits limits,
      java.util.function.Supplier<QueuedRequest> waiting, Instant now) {
    if (bucket.getTail() - bucket.getHead() >= limits.getMaxQueued()) {
      save(team, bucket, limits, now);
      return Verdict.QUEUE_FULL;
    }
    queue.put(key(team, bucket.getTail()), waiting.get());
    bucket.setTail(bucket.getTail() + 1);
    buckets.put(team, bucket);
    return Verdict.QUEUED;
  }

  /** What to do with a waiting request. */
  interface Release {
    /**
     * Routes it now, after {@code waitedMs}; returns its estimated tokens when it was routed (taken from the bucket
     * afterwards when they were not known when it was queued), else -1 (answered instead: what it took is given back).
     */
    long route(String team, QueuedRequest request, long waitedMs);

    /** Answers it EXPIRED: its deadline passed while it waited. */
    void expire(String team, QueuedRequest request, long waitedMs);

    /** The team's limits now (its policy's, or the default's); null when it has none any more. */
    RateLimits limits(String team);
  }

  /**
   * Every team with waiting requests: the ones past their deadline are expired, then, in order, as many as the
   * buckets allow are routed. Returns how many requests still wait.
   */
  long release(Instant now, Release release) {
    List<KeyValue<String, RateBucket>> teams = new ArrayList<>();
    try (KeyValueIterator<String, RateBucket> all = buckets.all()) {
      all.forEachRemaining(teams::add);
    }
    long waiting = 0;
    for (KeyValue<String, RateBucket> entry : teams) {
      String team = entry.key;
      RateLimits limits = release.limits(team);
      RateBucket bucket = entry.value;
      if (limits != null) {
        refill(bucket, limits, now);
      }
      while (bucket.getHead() < bucket.getTail()) {
        String key = key(team, bucket.getHead());
        QueuedRequest head = queue.get(key);
        if (head == null) {
          bucket.setHead(bucket.getHead() + 1); // cannot happen: the queue and its ends change in one transaction
          continue;
        }
        long waited = Math.max(0, now.toEpochMilli() - head.getEnqueuedAt().toEpochMilli());
        if (head.getDeadline() != null && !now.isBefore(head.getDeadline())) {
          queue.delete(key);
          bucket.setHead(bucket.getHead() + 1);
          release.expire(team, head, waited);
          continue;
        }
        boolean known = head.getTokens() >= 0;
        if (limits != null && !(known ? allows(bucket, limits, head.getTokens()) : allowsUnknown(bucket, limits))) {
          break;
        }
        if (limits != null) {
          take(bucket, limits, known ? head.getTokens() : 0);
        }
        queue.delete(key);
        bucket.setHead(bucket.getHead() + 1);
        long tokens = release.route(team, head, waited);
        if (limits != null && tokens < 0) {
          take(bucket, limits, known ? -head.getTokens() : 0, -1);
        } else if (limits != null && !known && limits.getTokensPerMinute() != null) {
          bucket.setTokens(bucket.getTokens() - tokens);
        }
      }
      waiting += bucket.getTail() - bucket.getHead();
      if (limits == null) {
        buckets.delete(team);
      } else {
        save(team, bucket, limits, now);
      }
    }
    return waiting;
  }

  /** Requests waiting for the team. */
  long waiting(String team) {
    RateBucket bucket = buckets.get(team);
    return bucket == null ? 0 : bucket.getTail() - bucket.getHead();
  }

  /** The time until the team's head request could pass, in words, for a routing reason. */
  static String describe(RateLimits limits) {
    List<String> parts = new ArrayList<>();
    if (limits.getRequestsPerMinute() != null) {
      parts.add(String.format(Locale.ROOT, "%,d requests/min", limits.getRequestsPerMinute()));
    }
    if (limits.getTokensPerMinute() != null) {
      parts.add(String.format(Locale.ROOT, "%,d tokens/min", limits.getTokensPerMinute()));
    }
    return String.join(", ", parts);
  }

  private RateBucket bucket(String team, RateLimits limits, Instant now) {
    RateBucket bucket = buckets.get(team);
    if (bucket == null) {
      return new RateBucket(capacity(limits.getRequestsPerMinute(), limits, 1),
          capacity(limits.getTokensPerMinute(), limits, 1), now, 0L, 0L);
    }
    refill(bucket, limits, now);
    return bucket;
  }

  /** A bucket holds {@code burstSeconds} of its rate, and never less than {@code least}. */
  private static double capacity(Long perMinute, RateLimits limits, double least) {
    return perMinute == null ? 0 : Math.max(least, perMinute / 60.0 * limits.getBurstSeconds());
  }

  private static void refill(RateBucket bucket, RateLimits limits, Instant now) {
    double seconds = Math.max(0, now.toEpochMilli() - bucket.getUpdatedAt().toEpochMilli()) / 1000.0;
    if (limits.getRequestsPerMinute() != null) {
      bucket.setRequests(Math.min(capacity(limits.getRequestsPerMinute(), limits, 1),
          bucket.getRequests() + seconds * limits.getRequestsPerMinute() / 60.0));
    }
    if (limits.getTokensPerMinute() != null) {
      bucket.setTokens(Math.min(capacity(limits.getTokensPerMinute(), limits, 1),
          bucket.getTokens() + seconds * limits.getTokensPerMinute() / 60.0));
    }
    if (now.isAfter(bucket.getUpdatedAt())) {
      bucket.setUpdatedAt(now);
    }
  }

  private static boolean allows(RateBucket bucket, RateLimits limits, long tokens) {
    // A hair below a whole request counts as one: refills are floating point.
    boolean requests = limits.getRequestsPerMinute() == null || bucket.getRequests() >= 1 - 1e-9;
    boolean estimated = limits.getTokensPerMinute() == null
        || bucket.getTokens() >= Math.min(tokens, capacity(limits.getTokensPerMinute(), limits, 1)) - 1e-9;
    return requests && estimated;
  }

  /** A request whose tokens are not known yet passes on a whole request and any tokens left; it pays afterwards. */
  private static boolean allowsUnknown(RateBucket bucket, RateLimits limits) {
    return (limits.getRequestsPerMinute() == null || bucket.getRequests() >= 1 - 1e-9)
        && (limits.getTokensPerMinute() == null || bucket.getTokens() > 0);
  }

  private static void take(RateBucket bucket, RateLimits limits, long tokens) {
    take(bucket, limits, tokens, 1);
  }

  /** Takes {@code requests} and {@code tokens} (negative: gives them back). */
  private static void take(RateBucket bucket, RateLimits limits, long tokens, int requests) {
    if (limits.getRequestsPerMinute() != null) {
      bucket.setRequests(bucket.getRequests() - requests);
    }
    if (limits.getTokensPerMinute() != null) {
      bucket.setTokens(bucket.getTokens() - tokens);
    }
  }

  /** Keeps the team's entry, or drops it when nothing waits and the buckets are full (a new entry is the same). */
  private void save(String team, RateBucket bucket, RateLimits limits, Instant now) {
    boolean full = (limits.getRequestsPerMinute() == null
        || bucket.getRequests() >= capacity(limits.getRequestsPerMinute(), limits, 1) - 1e-9)
        && (limits.getTokensPerMinute() == null
        || bucket.getTokens() >= capacity(limits.getTokensPerMinute(), limits, 1) - 1e-9);
    if (full && bucket.getHead() == bucket.getTail()) {
      if (buckets.get(team) != null) {
        buckets.delete(team);
      }
    } else {
      buckets.put(team, bucket);
    }
  }

  static String key(String team, long sequence) {
    return team + "|" + String.format(Locale.ROOT, "%019d", sequence);
  }

  static QueuedRequest waiting(byte[] value, java.util.Map<String, ByteBuffer> headers, Instant now, Instant deadline,
      long tokens) {
    return new QueuedRequest(ByteBuffer.wrap(value), headers, now, deadline, tokens);
  }
}
