package io.keyturn.workflows.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

class KeyturnPayloadCodecTest {
  static final PayloadKeys SECRET = PayloadKeys.parse(PayloadKeys.generateBase64());
  static final PayloadKeys OTHER = PayloadKeys.parse(PayloadKeys.generateBase64());
  static final DataConverter CONVERTER = KeyturnPayloadCodec.dataConverter(SECRET);

  static final String SECRET_ID = "billing-api-codec-test";
  static final RotationRequest REQUEST =
      RotationRequest.builder(SECRET_ID)
          .generation(3)
          .gatewayUrl("https://llm.example.test")
          .oldKey(
              KeyMaterial.ref("sk-codec-test-old-key-zzzzzzzz"),
              WorkerKeyring.generate().seal("sk-codec-test-old-key-zzzzzzzz"))
          .destinations(new Destination("vault-kv2", java.util.Map.of("name", SECRET_ID)))
          .gracePeriod(Duration.ofHours(2))
          .requestedBy("codec test")
          .build();

  static Payload encoded(Object value) {
    return CONVERTER.toPayload(value).orElseThrow();
  }

  static String text(Payload p) {
    return p.toByteString().toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aValueRoundTripsAndTheStoredPayloadIsEncrypted() {
    Payload p = encoded(REQUEST);

    assertThat(KeyturnPayloadCodec.isEncrypted(p)).isTrue();
    assertThat(p.getMetadataMap().get("encoding").toStringUtf8()).isEqualTo("binary/encrypted");
    assertThat(p.getMetadataMap().get(KeyturnPayloadCodec.METADATA_KEY_ID).toStringUtf8())
        .isEqualTo(SECRET.currentId());
    assertThat(CONVERTER.fromPayload(p, RotationRequest.class, RotationRequest.class))
        .isEqualTo(REQUEST);
  }

  @Test
  void theEncodedBytesHoldNoPlaintext() {
    Payload plain = DefaultDataConverter.STANDARD_INSTANCE.toPayload(REQUEST).orElseThrow();
    // Positive control: without the codec, the same value shows its fields.
    assertThat(text(plain)).contains(SECRET_ID).contains("json/plain");

    Payload p = encoded(REQUEST);
    String all = text(p) + Base64.getEncoder().encodeToString(p.getData().toByteArray());
    for (String field :
        List.of(
            SECRET_ID,
            "json/plain",
            REQUEST.oldKey().tokenHash(),
            REQUEST.oldKeySealed().ciphertext(),
            "llm.example.test",
            Base64.getEncoder().encodeToString(SECRET_ID.getBytes(StandardCharsets.UTF_8)))) {
      assertThat(all).as("encoded payload shows " + field).doesNotContain(field);
    }
  }

  @Test
  void eachEncodingUsesAFreshNonce() {
    Payload a = encoded(REQUEST);
    Payload b = encoded(REQUEST);
    assertThat(a.getData()).isNotEqualTo(b.getData());
    assertThat(a.getData().substring(0, 12)).isNotEqualTo(b.getData().substring(0, 12));
  }

  @Test
  void nullAndMultipleArgumentsRoundTrip() {
    Optional<Payloads> many = CONVERTER.toPayloads(REQUEST, null, 42);
    assertThat(many.orElseThrow().getPayloadsList()).allMatch(KeyturnPayloadCodec::isEncrypted);
    assertThat(CONVERTER.fromPayloads(0, many, RotationRequest.class, RotationRequest.class))
        .isEqualTo(REQUEST);
    assertThat(CONVERTER.fromPayloads(1, many, String.class, String.class)).isNull();
    assertThat(CONVERTER.fromPayloads(2, many, Integer.class, Integer.class)).isEqualTo(42);
  }

  @Test
  void payloadsWrittenWithoutTheCodecPassThrough() {
    Payload plain = DefaultDataConverter.STANDARD_INSTANCE.toPayload(REQUEST).orElseThrow();

    assertThat(KeyturnPayloadCodec.of(SECRET).decode(List.of(plain))).containsExactly(plain);
    assertThat(CONVERTER.fromPayload(plain, RotationRequest.class, RotationRequest.class))
        .isEqualTo(REQUEST);
  }

  @Test
  void anotherPayloadKeyFailsNamingBothKeyIdsAndWhatToDo() {
    Payload p = encoded(REQUEST);
    KeyturnPayloadCodec other = KeyturnPayloadCodec.of(OTHER);

    assertThatThrownBy(() -> other.decode(List.of(p)))
        .isInstanceOf(KeyturnPayloadCodec.WrongPayloadKeyException.class)
        .hasMessageContaining(SECRET.currentId())
        .hasMessageContaining(OTHER.currentId())
        .hasMessageContaining("KEYTURN_PAYLOAD_KEY")
        .hasMessageNotContaining(SECRET_ID)
        .hasNoCause();
    // Through a data converter too, as a client or the worker would meet it.
    assertThatThrownBy(
            () ->
                KeyturnPayloadCodec.dataConverter(OTHER)
                    .fromPayload(p, RotationRequest.class, RotationRequest.class))
        .hasStackTraceContaining(OTHER.currentId())
        .hasStackTraceContaining("set KEYTURN_PAYLOAD_KEY (or KEYTURN_PAYLOAD_KEY_FILE)")
        .satisfies(e -> assertThat(chain(e)).noneMatch(AEADBadTagException.class::isInstance));
  }

  @Test
  void aRotatedPayloadKeyStillDecodesWhatTheOldOneWroteAndWritesWithTheNewOne() {
    String oldKey = PayloadKeys.generateBase64();
    String newKey = PayloadKeys.generateBase64();
    PayloadKeys before = PayloadKeys.parse(oldKey);
    PayloadKeys after = PayloadKeys.parse(newKey + "," + oldKey);
    Payload written = KeyturnPayloadCodec.of(before).encode(List.of(plainPayload())).get(0);

    assertThat(after.currentId()).isNotEqualTo(before.currentId());
    assertThat(KeyturnPayloadCodec.of(after).decode(List.of(written)))
        .containsExactly(plainPayload());
    Payload rewritten = KeyturnPayloadCodec.of(after).encode(List.of(plainPayload())).get(0);
    assertThat(rewritten.getMetadataOrThrow(KeyturnPayloadCodec.METADATA_KEY_ID).toStringUtf8())
        .isEqualTo(after.currentId());
  }

  private static Payload plainPayload() {
    return io.temporal.common.converter.DefaultDataConverter.STANDARD_INSTANCE
        .toPayload(REQUEST)
        .orElseThrow();
  }

  @Test
  void anAlteredPayloadFailsWithoutATagErrorOrItsContent() {
    Payload p = encoded(REQUEST);
    byte[] data = p.getData().toByteArray();
    data[data.length - 20] ^= 1;
    Payload altered = p.toBuilder().setData(ByteString.copyFrom(data)).build();

    assertThatThrownBy(() -> KeyturnPayloadCodec.of(SECRET).decode(List.of(altered)))
        .isInstanceOf(PayloadCodecException.class)
        .hasMessageContaining("altered or corrupted")
        .hasMessageContaining(SECRET.currentId())
        .hasMessageNotContaining(SECRET_ID)
        .hasNoCause();
  }

  @Test
  void aPayloadRelabelledWithAnotherKeyIdDoesNotDecrypt() {
    // The key id is authenticated: moving a payload to another id's name fails, not misreads.
    Payload p = encoded(REQUEST);
    Payload relabelled =
        p.toBuilder()
            .putMetadata(
                KeyturnPayloadCodec.METADATA_KEY_ID, ByteString.copyFromUtf8(OTHER.currentId()))
            .build();
    assertThatThrownBy(() -> KeyturnPayloadCodec.of(OTHER).decode(List.of(relabelled)))
        .isInstanceOf(PayloadCodecException.class)
        .hasMessageContaining("altered or corrupted");
  }

  @Test
  void anUnknownFormatIsNamed() {
    Payload p =
        encoded(REQUEST).toBuilder()
            .putMetadata(KeyturnPayloadCodec.METADATA_FORMAT, ByteString.copyFromUtf8("v9"))
            .build();
    assertThatThrownBy(() -> KeyturnPayloadCodec.of(SECRET).decode(List.of(p)))
        .isInstanceOf(PayloadCodecException.class)
        .hasMessageContaining("'v9'");
  }

  private static List<Throwable> chain(Throwable t) {
    List<Throwable> out = new java.util.ArrayList<>();
    for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) {
      out.add(c);
    }
    return out;
  }
}
