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
import io.temporal.worker.WorkflowImplementationOptions;
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
 * query results, memos, summaries) with AES-256-GCM under the current {@link PayloadKeys payload
 * key}, so the server, its database and anyone with read access to history see only {@value
 * #ENCODING} payloads. Search attributes do not pass through codecs: they stay readable for the
 * server's visibility queries.
 *
 * <p>An encoded payload carries the whole original payload (metadata and data) as ciphertext; its
 * own metadata says {@code encoding: binary/encrypted}, the format ({@value #FORMAT}) and the
 * payload key's id, so a process that does not hold that key fails with the ids named ({@link
 * WrongPayloadKeyException}) rather than with a bare authentication-tag error. Any payload key held
 * decrypts; the current one encrypts. A fresh random 12-byte nonce is used per payload.
 *
 * <p>{@link #decode} passes through payloads that are not encrypted, so histories written before
 * encryption was turned on still replay and read. No message of this class contains payload data.
 */
public final class KeyturnPayloadCodec implements PayloadCodec {
  /** The {@code encoding} metadata value of an encrypted payload. */
  public static final String ENCODING = "binary/encrypted";

  /** Metadata naming the payload key (by its non-secret id) that encrypted the payload. */
  public static final String METADATA_KEY_ID = "encryption-key-id";

  /** Metadata naming the encryption format, so a later format can be told apart. */
  public static final String METADATA_FORMAT = "encryption-format";

  /** AES-256-GCM, 12-byte nonce first, AAD = format and key id. */
  public static final String FORMAT = "keyturn-codec-v1";

  private static final ByteString ENCODING_BYTES = ByteString.copyFromUtf8(ENCODING);
  private static final int GCM_TAG_BITS = 128;
  private static final int NONCE_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final PayloadKeys keys;

  private KeyturnPayloadCodec(PayloadKeys keys) {
    this.keys = keys;
  }

  /** The codec of a set of payload keys. */
  public static KeyturnPayloadCodec of(PayloadKeys keys) {
    return new KeyturnPayloadCodec(Objects.requireNonNull(keys, "keys"));
  }

  private static byte[] aad(String keyId) {
    return (FORMAT + "|" + keyId).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Temporal's standard data converter with this codec applied to its payloads: what every Keyturn
   * client (worker, CLI, benchmarks) is built with. Failure messages and stack traces stay plain
   * (they name keys by fingerprint only), so the UI and {@code temporal workflow show} can say why
   * a rotation failed without the codec.
   */
  public static DataConverter dataConverter(PayloadKeys keys) {
    return new CodecDataConverter(DefaultDataConverter.STANDARD_INSTANCE, List.of(of(keys)));
  }

  /**
   * Options every Keyturn workflow is registered with: a workflow whose payloads were encrypted
   * with a payload key this worker does not hold fails at once, naming both key ids, instead of
   * retrying its workflow task forever out of sight. The trade-off: a worker deployed without a
   * payload key that running rotations still need fails them too (visibly, the old key left
   * working); keep old payload keys in KEYTURN_PAYLOAD_KEY until nothing open was written with
   * them.
   */
  public static final WorkflowImplementationOptions WORKFLOW_OPTIONS =
      WorkflowImplementationOptions.newBuilder()
          .setFailWorkflowExceptionTypes(WrongPayloadKeyException.class)
          .build();

  /** The id of the payload key this codec encrypts with. */
  public String keyId() {
    return keys.currentId();
  }

  /** True when {@code p} is a payload this codec (any payload key) encrypted. */
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
      c.init(Cipher.ENCRYPT_MODE, keys.key(keyId()), new GCMParameterSpec(GCM_TAG_BITS, nonce));
      c.updateAAD(aad(keyId()));
      ct = c.doFinal(plain.toByteArray());
    } catch (GeneralSecurityException e) {
      // Only a broken JCE gets here; its message says nothing about the payload.
      throw new PayloadCodecException("cannot encrypt a payload: " + e.getClass().getSimpleName());
    }
    return Payload.newBuilder()
        .putMetadata(EncodingKeys.METADATA_ENCODING_KEY, ENCODING_BYTES)
        .putMetadata(METADATA_FORMAT, ByteString.copyFromUtf8(FORMAT))
        .putMetadata(METADATA_KEY_ID, ByteString.copyFromUtf8(keyId()))
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
    SecretKeySpec key = keys.key(writtenWith);
    if (key == null) {
      throw new WrongPayloadKeyException(writtenWith, keys.currentId(), keys.ids());
    }
    byte[] all = encrypted.getData().toByteArray();
    try {
      if (all.length < NONCE_BYTES) {
        throw new GeneralSecurityException("short");
      }
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(GCM_TAG_BITS, all, 0, NONCE_BYTES));
      c.updateAAD(aad(writtenWith));
      return Payload.parseFrom(c.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES));
    } catch (GeneralSecurityException | InvalidProtocolBufferException e) {
      // No cause attached: the bare tag error helps nobody, and nothing of the payload is shown.
      throw new PayloadCodecException(
          "payload encrypted with payload key "
              + writtenWith
              + " does not decrypt with it: it was altered or corrupted after it was written");
    }
  }

  private static String metadata(Payload p, String key) {
    ByteString v = p.getMetadataOrDefault(key, null);
    return v == null ? "(none)" : v.toStringUtf8();
  }

  /**
   * A payload encrypted with a payload key this process does not hold. Names the ids (never a key)
   * and what to do. A worker fails the workflow with it (rather than retrying its task forever), so
   * a rotation started with another payload key says why it cannot run.
   */
  public static final class WrongPayloadKeyException extends PayloadCodecException {
    private final String payloadKeyId;
    private final String processKeyId;

    WrongPayloadKeyException(String payloadKeyId, String processKeyId, List<String> held) {
      super(
          "payload was encrypted with payload key "
              + payloadKeyId
              + " but this process holds payload key "
              + (held.size() == 1 ? processKeyId : held.toString())
              + ": set KEYTURN_PAYLOAD_KEY (or KEYTURN_PAYLOAD_KEY_FILE) to the payload key the"
              + " worker and the CLI share");
      this.payloadKeyId = payloadKeyId;
      this.processKeyId = processKeyId;
    }

    /** The id of the payload key the payload was encrypted with. */
    public String payloadKeyId() {
      return payloadKeyId;
    }

    /** The id of the payload key this process encrypts with. */
    public String processKeyId() {
      return processKeyId;
    }
  }
}
