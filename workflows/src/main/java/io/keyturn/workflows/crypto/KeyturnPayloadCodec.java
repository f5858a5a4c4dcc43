package io.keyturn.workflows.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.EncodingKeys;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts every payload Keyturn writes to Temporal (workflow and activity inputs and results,
 * query results, memos, summaries) with AES-256-GCM under a key derived from the {@link
 * KeyturnSecret}, so the server, its database and anyone with read access to history see only
 * {@value #ENCODING} payloads. Search attributes do not pass through codecs: they stay readable for
 * the server's visibility queries.
 *
 * <p>An encoded payload carries the whole original payload (metadata and data) as ciphertext; its
 * own metadata says {@code encoding: binary/encrypted}, the format ({@value #FORMAT}) and the
 * Keyturn secret's key id, so a process holding another secret fails with both ids named rather
 * than with a bare authentication-tag error. A fresh random 12-byte nonce is used per payload.
 *
 * <p>{@link #decode} passes through payloads that are not encrypted, so histories written before
 * encryption was turned on still replay and read. No message of this class contains payload data.
 */
public final class KeyturnPayloadCodec implements PayloadCodec {
  /** The {@code encoding} metadata value of an encrypted payload. */
  public static final String ENCODING = "binary/encrypted";

  /** Metadata naming the Keyturn secret (by its non-secret key id) that encrypted the payload. */
  public static final String METADATA_KEY_ID = "encryption-key-id";

  /** Metadata naming the encryption format, so a later format can be told apart. */
  public static final String METADATA_FORMAT = "encryption-format";

  /** AES-256-GCM, 12-byte nonce first, AAD = format and key id. */
  public static final String FORMAT = "keyturn-codec-v1";

  private static final ByteString ENCODING_BYTES = ByteString.copyFromUtf8(ENCODING);
  private static final int GCM_TAG_BITS = 128;
  private static final int NONCE_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;
  private final String keyId;
  private final byte[] aad;

  private KeyturnPayloadCodec(SecretKeySpec key, String keyId) {
    this.key = key;
    this.keyId = keyId;
    this.aad = (FORMAT + "|" + keyId).getBytes(StandardCharsets.UTF_8);
  }

  /** The codec of one Keyturn secret. */
  public static KeyturnPayloadCodec of(KeyturnSecret secret) {
    Objects.requireNonNull(secret, "secret");
    return new KeyturnPayloadCodec(secret.codecKey(), secret.keyId());
  }

  /**
   * Temporal's standard data converter with this codec applied to its payloads: what every Keyturn
   * client (worker, CLI, benchmarks) is built with. Failure messages and stack traces stay plain
   * (they name keys by fingerprint only), so the UI and {@code temporal workflow show} can say why
   * a rotation failed without the codec.
   */
  public static DataConverter dataConverter(KeyturnSecret secret) {
    return new CodecDataConverter(DefaultDataConverter.STANDARD_INSTANCE, List.of(of(secret)));
  }

  /** The key id of the secret this codec encrypts with. */
  public String keyId() {
    return keyId;
  }

  /** True when {@code p} is a payload this codec (any Keyturn secret) encrypted. */
  public static boolean isEncrypted(Payload p) {
    return ENCODING_BYTES.equals(p.getMetadataOrDefault(EncodingKeys.METADATA_ENCODING_KEY, null));
  }

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    List<Payload> out = new ArrayList<>(payloads.size());
    for (Payload p : payloads) {
      out.add(encrypt(p));
    }
    return out;
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    List<Payload> out = new ArrayList<>(payloads.size());
    for (Payload p : payloads) {
      out.add(isEncrypted(p) ? decrypt(p) : p);
    }
    return out;
  }

  private Payload encrypt(Payload plain) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    byte[] ct;
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(GCM_TAG_BITS, nonce));
      c.updateAAD(aad);
      ct = c.doFinal(plain.toByteArray());
    } catch (GeneralSecurityException e) {
      // Only a broken JCE gets here; its message says nothing about the payload.
      throw new PayloadCodecException("cannot encrypt a payload: " + e.getClass().getSimpleName());
    }
    return Payload.newBuilder()
        .putMetadata(EncodingKeys.METADATA_ENCODING_KEY, ENCODING_BYTES)
        .putMetadata(METADATA_FORMAT, ByteString.copyFromUtf8(FORMAT))
        .putMetadata(METADATA_KEY_ID, ByteString.copyFromUtf8(keyId))
        .setData(
            ByteString.copyFrom(
                ByteBuffer.allocate(nonce.length + ct.length).put(nonce).put(ct).array()))
        .build();
  }

  private Payload decrypt(Payload encrypted) {
    String format = metadata(encrypted, METADATA_FORMAT);
    if (!FORMAT.equals(format)) {
      throw new PayloadCodecException(
          "payload is encrypted in format '"
              + format
              + "', which this Keyturn does not know ("
              + FORMAT
              + "): decode it with the Keyturn version that wrote it");
    }
    String writtenWith = metadata(encrypted, METADATA_KEY_ID);
    if (!keyId.equals(writtenWith)) {
      throw new WrongSecretException(writtenWith, keyId);
    }
    byte[] all = encrypted.getData().toByteArray();
    try {
      if (all.length < NONCE_BYTES) {
        throw new GeneralSecurityException("short");
      }
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(GCM_TAG_BITS, all, 0, NONCE_BYTES));
      c.updateAAD(aad);
      return Payload.parseFrom(c.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES));
    } catch (GeneralSecurityException | InvalidProtocolBufferException e) {
      // No cause attached: the bare tag error helps nobody, and nothing of the payload is shown.
      throw new PayloadCodecException(
          "payload encrypted with Keyturn secret "
              + keyId
              + " does not decrypt with it: it was altered or corrupted after it was written");
    }
  }

  private static String metadata(Payload p, String key) {
    ByteString v = p.getMetadataOrDefault(key, null);
    return v == null ? "(none)" : v.toStringUtf8();
  }

  /**
   * A payload encrypted with another Keyturn secret than the one this process holds. Names both key
   * ids (never a secret) and what to do.
   */
  public static final class WrongSecretException extends PayloadCodecException {
    private final String payloadKeyId;
    private final String processKeyId;

    WrongSecretException(String payloadKeyId, String processKeyId) {
      super(
          "payload was encrypted with Keyturn secret "
              + payloadKeyId
              + " but this process holds Keyturn secret "
              + processKeyId
              + ": set KEYTURN_SECRET (or KEYTURN_SECRET_FILE) to the worker's secret");
      this.payloadKeyId = payloadKeyId;
      this.processKeyId = processKeyId;
    }

    /** The key id of the secret the payload was encrypted with. */
    public String payloadKeyId() {
      return payloadKeyId;
    }

    /** The key id of the secret this process holds. */
    public String processKeyId() {
      return processKeyId;
    }
  }
}
