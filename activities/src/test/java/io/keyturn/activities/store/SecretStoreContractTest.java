package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keyturn.workflows.crypto.KeyMaterial;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SecretStore} promises. Each implementation's test extends this class and
 * provides fresh, empty locations ({@link #newStore()}) on its real server or file system.
 */
abstract class SecretStoreContractTest {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final AtomicInteger ROTATIONS = new AtomicInteger();

  /** A store bound to a location that holds nothing yet, different on every call. */
  protected abstract SecretStore newStore();

  /**
   * A store whose operations fail (denied credentials, unreachable server, unwritable place), for
   * the test that no value leaks into a failure message.
   */
  protected abstract SecretStore failingStore();

  /** Whether this implementation must support restore (false only for documented exceptions). */
  protected boolean restoreExpected() {
    return true;
  }

  /** A LiteLLM-shaped random key. */
  static String newKey() {
    StringBuilder sb = new StringBuilder("sk-");
    for (int i = 0; i < 22; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  static RotationContext rotation(String generation) {
    return new RotationContext("rotation/contract-" + ROTATIONS.incrementAndGet(), generation);
  }

  @Test
  void aNewLocationHoldsNothing() {
    assertThat(newStore().currentFingerprint()).isEmpty();
  }

  @Test
  void writeThenReadBackGivesTheValuesFingerprint() {
    SecretStore store = newStore();
    String key = newKey();
    StoreReceipt receipt = store.write(key, rotation("g1"));

    assertThat(receipt.written()).isTrue();
    assertThat(receipt.storeType()).isEqualTo(store.type());
    assertThat(receipt.location()).isEqualTo(store.location());
    assertThat(receipt.version()).isNotEmpty();
    assertThat(receipt.previousVersion()).isEmpty();
    assertThat(receipt.fingerprint()).isEqualTo(KeyMaterial.tokenHash(key));
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(key));
  }

  @Test
  void theCurrentValueIsTheLastOneWrittenAndNothingBeforeTheFirst() {
    SecretStore store = newStore();
    assertThat(store.currentValue()).isEmpty();
    String first = newKey();
    String second = newKey();
    store.write(first, rotation("g1"));
    assertThat(store.currentValue()).contains(first);
    store.write(second, rotation("g2"));
    assertThat(store.currentValue()).contains(second);
  }

  @Test
  void writingTheSameValueAgainWritesNothing() {
    SecretStore store = newStore();
    String key = newKey();
    RotationContext rotation = rotation("g1");
    StoreReceipt first = store.write(key, rotation);
    StoreReceipt again = store.write(key, rotation);

    assertThat(again.written()).isFalse();
    assertThat(again.version()).isEqualTo(first.version());
    assertThat(again.fingerprint()).isEqualTo(first.fingerprint());
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(key));
  }

  @Test
  void aSecondValueReplacesTheFirstAsANewVersion() {
    SecretStore store = newStore();
    StoreReceipt first = store.write(newKey(), rotation("g1"));
    String second = newKey();
    StoreReceipt next = store.write(second, rotation("g2"));

    assertThat(next.written()).isTrue();
    assertThat(next.version()).isNotEqualTo(first.version());
    assertThat(next.previousVersion()).isEqualTo(first.version());
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(second));
  }

  /**
   * An operator's rollback in the grace period writes the value the rotation replaced back with
   * {@link SecretStore#write}, under the same workflow id and its own generation label: every store
   * takes it as a new current version (a store deriving idempotency tokens from the context must
   * not reuse the publish's), and a retried put-back writes nothing.
   */
  @Test
  void aRollbackWritesTheReplacedValueBackAsANewVersion() {
    SecretStore store = newStore();
    String old = newKey();
    store.write(old, rotation("g1"));
    RotationContext rotating = rotation("g2");
    StoreReceipt published = store.write(newKey(), rotating);
    RotationContext rollback = new RotationContext(rotating.workflowId(), "g2-rollback");

    StoreReceipt back = store.write(old, rollback);

    assertThat(back.written()).isTrue();
    assertThat(back.version()).isNotEqualTo(published.version());
    assertThat(store.currentValue()).contains(old);
    assertThat(store.write(old, rollback).written()).isFalse();
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(old));
  }

  @Test
  void restorePreviousPutsTheFirstValueBackAndIsIdempotent() {
    SecretStore store = newStore();
    assumeTrue(store.supportsRestore(), store.type() + " keeps no previous value");
    String first = newKey();
    String second = newKey();
    store.write(first, rotation("g1"));
    store.write(second, rotation("g2"));

    StoreReceipt restored = store.restorePrevious(KeyMaterial.tokenHash(second));
    assertThat(restored.written()).isTrue();
    assertThat(restored.fingerprint()).isEqualTo(KeyMaterial.tokenHash(first));
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(first));

    StoreReceipt again = store.restorePrevious(KeyMaterial.tokenHash(second));
    assertThat(again.written()).isFalse();
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(first));
  }

  @Test
  void restoringTheOnlyValueRemovesIt() {
    SecretStore store = newStore();
    assumeTrue(store.supportsRestore(), store.type() + " keeps no previous value");
    String only = newKey();
    store.write(only, rotation("g1"));

    assertThat(store.restorePrevious(KeyMaterial.tokenHash(only)).written()).isTrue();
    assertThat(store.currentFingerprint()).isEmpty();
    // The location is usable again afterwards.
    String next = newKey();
    store.write(next, rotation("g2"));
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(next));
  }

  @Test
  void restoreLeavesAValueItDidNotWriteAlone() {
    SecretStore store = newStore();
    assumeTrue(store.supportsRestore(), store.type() + " keeps no previous value");
    String someoneElses = newKey();
    store.write(someoneElses, rotation("g1"));

    StoreReceipt receipt = store.restorePrevious(KeyMaterial.tokenHash(newKey()));
    assertThat(receipt.written()).isFalse();
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(someoneElses));
    assertThat(newStore().restorePrevious(KeyMaterial.tokenHash(newKey())).written()).isFalse();
  }

  @Test
  void restoreIsSupportedUnlessDocumentedOtherwise() {
    SecretStore store = newStore();
    assertThat(store.supportsRestore()).isEqualTo(restoreExpected());
    if (!store.supportsRestore()) {
      assertThatThrownBy(() -> store.restorePrevious(KeyMaterial.tokenHash(newKey())))
          .isInstanceOf(UnsupportedOperationException.class);
    }
  }

  @Test
  void deleteRemovesTheValueAndDeletingTwiceIsFine() {
    SecretStore store = newStore();
    store.write(newKey(), rotation("g1"));

    store.delete();
    assertThat(store.currentFingerprint()).isEmpty();
    store.delete();
    assertThat(store.currentFingerprint()).isEmpty();
    newStore().delete(); // never written
  }

  @Test
  void aValueCanBeWrittenAgainAfterDelete() {
    SecretStore store = newStore();
    store.write(newKey(), rotation("g1"));
    store.delete();
    String again = newKey();

    assertThat(store.write(again, rotation("g2")).written()).isTrue();
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(again));
  }

  @Test
  void noReceiptOrLocationCarriesTheValue() {
    SecretStore store = newStore();
    String first = newKey();
    String second = newKey();
    List<Object> outputs = new ArrayList<>();
    outputs.add(store.write(first, rotation("g1")));
    outputs.add(store.write(first, rotation("g1")));
    outputs.add(store.write(second, rotation("g2")));
    if (store.supportsRestore()) {
      outputs.add(store.restorePrevious(KeyMaterial.tokenHash(second)));
    }
    outputs.add(store.location());
    outputs.add(store.currentFingerprint());

    for (Object o : outputs) {
      assertThat(String.valueOf(o)).doesNotContain(first).doesNotContain(second);
    }
  }

  @Test
  void aFailingStoreNamesTheLocationButNeverTheValue() {
    SecretStore store = failingStore();
    String key = newKey();
    Throwable thrown = null;
    try {
      store.write(key, rotation("g1"));
    } catch (RuntimeException e) {
      thrown = e;
    }
    assertThat(thrown).as("writing to a failing store must throw").isNotNull();
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage()))
          .doesNotContain(key)
          .doesNotContain(key.substring(3));
      assertThat(t.toString()).doesNotContain(key);
    }
    assertThat(thrown.getMessage()).isNotBlank();
  }

  @Test
  void theFingerprintIsLiteLlmsTokenHashNotTheValue() {
    SecretStore store = newStore();
    String key = newKey();
    store.write(key, rotation("g1"));
    Optional<String> fp = store.currentFingerprint();
    assertThat(fp).hasValueSatisfying(f -> assertThat(f).hasSize(64).doesNotContain(key));
  }
}
