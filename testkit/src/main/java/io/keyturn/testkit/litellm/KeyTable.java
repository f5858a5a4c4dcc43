package io.keyturn.testkit.litellm;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The emulator's database: live key rows by token hash (in insertion order, as the proxy's table
 * scan returns them), the deleted-keys archive, old hashes still valid during a regenerate grace
 * period, and deleted keys a proxy cache still accepts. Endpoints run under {@link #locked}, so
 * each request sees and leaves the table consistent.
 */
final class KeyTable {
  /** A key superseded by regenerate with a grace period: the old hash resolves to the new row. */
  private record Deprecated(String activeHash, Instant revokeAt) {}

  /** A deleted key a proxy cache still accepts until {@code until}. */
  private record Lingering(KeyRow row, Instant until) {}

  /** The row a presented key authenticates as (a copy), and the hash it acts as. */
  record Presented(KeyRow row, String hash) {}

  private final Object lock = new Object();
  private final Supplier<Instant> clock;
  private final Map<String, KeyRow> rows = new LinkedHashMap<>();
  private final List<DeletedKey> archive = new ArrayList<>();
  private final Map<String, Deprecated> deprecated = new LinkedHashMap<>();
  private final Map<String, Lingering> lingering = new LinkedHashMap<>();
  private volatile boolean dbConnected = true;
  private long sequence;

  KeyTable(Supplier<Instant> clock) {
    this.clock = clock;
  }

  <T> T locked(Supplier<T> work) {
    synchronized (lock) {
      return work.get();
    }
  }

  /** The emulator's clock (tests move it forward). */
  Instant now() {
    return clock.get();
  }

  /** The database toggle behind {@code /health/readiness} and key writes. */
  boolean dbConnected() {
    return dbConnected;
  }

  void dbConnected(boolean connected) {
    this.dbConnected = connected;
  }

  // ------------------------------------------------------------------ under the lock

  KeyRow get(String hash) {
    return rows.get(hash);
  }

  /**
   * A request made with the key was charged {@code cost}: what LiteLLM's spend writer does to the
   * row (spend incremented, {@code last_active} and {@code updated_at} set). No row, no change.
   */
  void recordUse(String hash, double cost) {
    KeyRow row = rows.get(hash);
    if (row == null) {
      return;
    }
    Instant now = now();
    row.spend = (row.spend == null ? 0.0 : row.spend.doubleValue()) + cost;
    row.lastActive = now;
    row.updatedAt = now;
  }

  boolean contains(String hash) {
    return rows.containsKey(hash);
  }

  /** Adds a row under its token (a row re-added after regenerate goes to the end). */
  void put(KeyRow row) {
    rows.put(row.token, row);
  }

  KeyRow remove(String hash) {
    return rows.remove(hash);
  }

  /** Live rows, in table order. */
  Collection<KeyRow> live() {
    return rows.values();
  }

  /** The deleted-keys archive, oldest deletion first. */
  List<DeletedKey> archive() {
    return archive;
  }

  /** The next creation number ({@code /key/list}'s default order). */
  long nextSequence() {
    return ++sequence;
  }

  boolean aliasTaken(String alias, String exceptHash) {
    for (Map.Entry<String, KeyRow> e : rows.entrySet()) {
      if (alias.equals(e.getValue().keyAlias) && !e.getKey().equals(exceptHash)) {
        return true;
      }
    }
    return false;
  }

  /** The newest archived row of this hash, or null. */
  DeletedKey newestArchived(String hash) {
    for (int i = archive.size() - 1; i >= 0; i--) {
      if (hash.equals(archive.get(i).row().token)) {
        return archive.get(i);
      }
    }
    return null;
  }

  /** Copies the row as it is now into the archive. */
  void archive(KeyRow row, Instant at, String by, String byApiKey) {
    archive.add(new DeletedKey(row.copy(), at, by, byApiKey));
  }

  /**
   * {@code /key/delete} of one live key: archived, removed, and (with a propagation delay) still
   * accepted by auth until {@code now + linger}.
   */
  void delete(String hash, Instant now, String by, String byApiKey, Duration linger) {
    KeyRow row = rows.remove(hash);
    archive(row, now, by, byApiKey);
    if (!linger.isZero() && !linger.isNegative()) {
      lingering.put(hash, new Lingering(row, now.plus(linger)));
    }
  }

  /** Regenerate with a grace period: {@code oldHash} acts as {@code newHash} until then. */
  void deprecate(String oldHash, String newHash, Instant revokeAt) {
    deprecated.put(oldHash, new Deprecated(newHash, revokeAt));
  }

  // ------------------------------------------------------------------ taking the lock

  /**
   * The row a presented key's hash authenticates as: a live row, a deleted one a cache still holds,
   * or the new row of a key regenerated within its grace period; null when none.
   */
  Presented present(String hash) {
    synchronized (lock) {
      Instant now = now();
      KeyRow row = rows.get(hash);
      String asHash = hash;
      if (row == null) {
        Lingering l = lingering.get(hash);
        if (l != null && now.isBefore(l.until())) {
          row = l.row();
        }
      }
      if (row == null) {
        Deprecated d = deprecated.get(hash);
        if (d != null && now.isBefore(d.revokeAt())) {
          row = rows.get(d.activeHash());
          asHash = d.activeHash();
        }
      }
      return row == null ? null : new Presented(row.copy(), asHash);
    }
  }

  List<EmulatedKey> liveKeys() {
    synchronized (lock) {
      return rows.values().stream()
          .map(r -> r.snapshot(r.toWire(KeyRow.DateStyle.OFFSET)))
          .toList();
    }
  }

  List<EmulatedKey> deletedKeys() {
    synchronized (lock) {
      return archive.stream()
          .map(d -> d.row().snapshot(d.toWire(KeyRow.DateStyle.OFFSET)))
          .toList();
    }
  }

  void reset() {
    synchronized (lock) {
      rows.clear();
      archive.clear();
      deprecated.clear();
      lingering.clear();
    }
  }
}
