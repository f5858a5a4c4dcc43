package io.keyturn.workflows.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.SealedSecret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerKeyringTest {
  static final String RAW = "sk-old-application-key-1234";
  static final KeyDerivation D = new KeyDerivation("rotation/svc-a/7", "keyturn-svc-a-g7", "run-1");

  @Test
  void theCliSealsWithThePublicKeyAndOnlyTheWorkerOpens() {
    WorkerKeyring worker = WorkerKeyring.generate();
    WorkerPublicKey pin = WorkerPublicKey.parse(worker.currentPublicKey().text());

    SealedSecret sealed = pin.seal(RAW);

    assertThat(sealed.keyId()).isEqualTo(worker.currentKeyId()).isEqualTo(pin.id());
    assertThat(sealed.toString()).doesNotContain(sealed.ciphertext());
    assertThat(worker.open(sealed)).isEqualTo(RAW);
    // Another worker (a stranger's keyring) cannot open it, whatever id the value claims.
    WorkerKeyring stranger = WorkerKeyring.generate();
    assertThatThrownBy(() -> stranger.open(sealed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(sealed.keyId())
        .hasMessageContaining(stranger.currentKeyId())
        .hasMessageNotContaining(RAW);
    SealedSecret relabelled =
        new SealedSecret(
            stranger.currentKeyId(), sealed.ephemeralKey(), sealed.nonce(), sealed.ciphertext());
    assertThatThrownBy(() -> stranger.open(relabelled))
        .hasMessageContaining("altered or corrupted");
  }

  /**
   * Everything the CLI is configured with (the payload key and the worker's public key), and every
   * key that can be made from it the way Keyturn makes keys, neither derives the minted key nor
   * opens a sealed value; the worker's keyring does both.
   */
  @Test
  void withOnlyTheCliConfigurationNoMintedKeyIsComputedAndNoSealedValueOpened() {
    WorkerKeyring worker = WorkerKeyring.generate();
    String payloadKey = PayloadKeys.generateBase64();
    Map<String, String> cliEnv =
        Map.of(PayloadKeys.ENV, payloadKey, WorkerPublicKey.ENV, worker.currentPublicKey().text());
    KeyDerivation bound = worker.bind(D);
    String minted = worker.deriveKey(bound);
    SealedSecret sealed = WorkerPublicKey.fromEnvironment(cliEnv).seal(RAW);

    // The worker can.
    assertThat(minted).startsWith("sk-").hasSize(46);
    assertThat(worker.open(sealed)).isEqualTo(RAW);

    // The CLI's configuration holds no keyring at all...
    assertThatThrownBy(() -> WorkerKeyring.fromEnvironment(cliEnv))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(WorkerKeyring.ENV_FILE);
    // ...and no secret it holds, nor anything Keyturn derives from one, stands in for the worker's.
    List<byte[]> candidates = new ArrayList<>();
    for (String text : cliEnv.values()) {
      byte[] raw =
          text.startsWith(WorkerPublicKey.PREFIX)
              ? WorkerPublicKey.parse(text).raw()
              : Base64.getDecoder().decode(text);
      candidates.add(raw);
      candidates.add(text.getBytes(StandardCharsets.UTF_8));
      for (String label :
          List.of("keyturn-mint-v1", "keyturn-unseal-x25519-v1", "keyturn-codec-v1")) {
        candidates.add(Hkdf.derive(new byte[0], raw, label, 32));
      }
    }
    String context = "mint|" + D.workflowId() + "|" + D.alias() + "|" + D.nonce();
    for (byte[] k : candidates) {
      String guess =
          "sk-"
              + Base64.getUrlEncoder()
                  .withoutPadding()
                  .encodeToString(Hkdf.hmac(k, context.getBytes(StandardCharsets.UTF_8)));
      assertThat(guess).isNotEqualTo(minted);
      if (k.length == 32) {
        byte[] pub = WorkerPublicKey.parse(cliEnv.get(WorkerPublicKey.ENV)).raw();
        assertThatThrownBy(() -> Sealing.open(sealed, k, pub))
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  @Test
  void derivationIsStableNamesItsKeyAndDiffersPerKey() {
    WorkerKeyring ring = WorkerKeyring.generate();
    KeyDerivation bound = ring.bind(D);
    assertThat(bound.keyId()).isEqualTo(ring.currentKeyId());
    assertThat(ring.bind(bound)).isEqualTo(bound);
    assertThat(ring.deriveKey(bound)).isEqualTo(ring.deriveKey(bound));
    WorkerKeyring rotated = ring.rotate();
    assertThat(rotated.deriveKey(rotated.bind(D))).isNotEqualTo(ring.deriveKey(bound));
    assertThatThrownBy(() -> ring.deriveKey(D)).hasMessageContaining("names no worker key");
  }

  @Test
  void afterARotationOfTheKeyringOldDerivationsAndSealedValuesStillWork() {
    WorkerKeyring before = WorkerKeyring.generate();
    KeyDerivation bound = before.bind(D);
    String minted = before.deriveKey(bound);
    SealedSecret sealed = before.currentPublicKey().seal(RAW);

    WorkerKeyring after = WorkerKeyring.parse(before.rotate().toJson());

    assertThat(after.currentKeyId()).isNotEqualTo(before.currentKeyId());
    assertThat(after.keyIds()).containsExactly(after.currentKeyId(), before.currentKeyId());
    assertThat(after.deriveKey(bound)).isEqualTo(minted);
    assertThat(after.open(sealed)).isEqualTo(RAW);
    assertThat(after.seal(RAW).keyId()).isEqualTo(after.currentKeyId());
    assertThat(after.bindings(D))
        .extracting(KeyDerivation::keyId)
        .containsExactly(after.currentKeyId(), before.currentKeyId());

    WorkerKeyring retired = after.retire(before.currentKeyId());
    assertThatThrownBy(() -> retired.deriveKey(bound))
        .hasMessageContaining(before.currentKeyId())
        .hasMessageContaining("does not hold")
        .hasMessageNotContaining(minted);
    assertThatThrownBy(() -> retired.open(sealed)).hasMessageContaining(before.currentKeyId());
    assertThatThrownBy(() -> after.retire(after.currentKeyId()))
        .hasMessageContaining("current worker key");
  }

  @Test
  void aKeyringFileEditedByHandIsRefusedWithoutShowingItsSeeds() {
    WorkerKeyring ring = WorkerKeyring.generate();
    String json = ring.toJson();
    String tampered =
        json.replace("\"id\" : \"" + ring.currentKeyId(), "\"id\" : \"0123456789abcdef");
    assertThat(tampered).isNotEqualTo(json);
    assertThatThrownBy(() -> WorkerKeyring.parse(tampered))
        .hasMessageContaining("does not match its seed");
    assertThatThrownBy(() -> WorkerKeyring.parse("{not json " + json))
        .hasMessage("the worker keyring is not valid JSON");
    assertThat(ring.toString()).doesNotContain("seed").contains(ring.currentKeyId());
  }

  @Test
  void aPublicKeyPinIsParsedFromItsTextAndCommentsAreSkipped() {
    WorkerKeyring ring = WorkerKeyring.generate();
    String text = ring.currentPublicKey().text();
    WorkerPublicKey pin = WorkerPublicKey.parse("# keyturn worker key\n\n" + text + "\n");
    assertThat(pin).isEqualTo(ring.currentPublicKey());
    assertThat(pin.id()).isEqualTo(ring.currentKeyId()).hasSize(16);
    assertThatThrownBy(() -> WorkerPublicKey.parse("ssh-ed25519 AAAA"))
        .hasMessageContaining("x25519:");
  }
}
