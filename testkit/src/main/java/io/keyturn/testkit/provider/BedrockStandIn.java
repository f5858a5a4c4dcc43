package io.keyturn.testkit.provider;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A test double for Bedrock behind the LiteLLM emulator: Bedrock's runtime does not run here, so a
 * {@code bedrock/...} deployment counts as answering when STS at the configured endpoint (moto's,
 * with {@code MotoServer.enforceAuth()}) accepts the access key the deployment stores: {@code
 * GetCallerIdentity}, signed with AWS Signature Version 4 by the JDK alone. A deleted access key is
 * refused there as at AWS, so a request through the emulated proxy fails as soon as its
 * deployment's key is deleted: what a Bedrock call with that key would do. Secrets are used for
 * signing only, never logged or returned.
 */
public final class BedrockStandIn {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String BODY = "Action=GetCallerIdentity&Version=2011-06-15";
  private static final String CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8";

  private BedrockStandIn() {}

  /**
   * STS's answer to {@code GetCallerIdentity} with one access key: the HTTP status (0 when STS did
   * not answer), the caller's ARN when accepted, and the error code when refused.
   */
  public record Identity(int status, String arn, String code) {
    public boolean accepted() {
      return status == 200;
    }
  }

  /** Asks STS at {@code stsEndpoint} who the access key {@code keyId} is. */
  public static Identity callerIdentity(
      String stsEndpoint, String region, String keyId, String secret) {
    try {
      URI uri = URI.create(stsEndpoint.endsWith("/") ? stsEndpoint : stsEndpoint + "/");
      String host = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
      ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
      String amzDate = now.format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
      String day = now.format(DateTimeFormatter.ofPattern("yyyyMMdd"));
      String signedHeaders = "content-type;host;x-amz-date";
      String canonical =
          "POST\n"
              + uri.getRawPath()
              + "\n\n"
              + "content-type:"
              + CONTENT_TYPE
              + "\nhost:"
              + host
              + "\nx-amz-date:"
              + amzDate
              + "\n\n"
              + signedHeaders
              + "\n"
              + sha256(BODY);
      String scope = day + "/" + region + "/sts/aws4_request";
      String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256(canonical);
      byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), day);
      key = hmac(key, region);
      key = hmac(key, "sts");
      key = hmac(key, "aws4_request");
      String signature = HexFormat.of().formatHex(hmac(key, toSign));
      HttpRequest request =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(10))
              .header("content-type", CONTENT_TYPE)
              .header("x-amz-date", amzDate)
              .header(
                  "authorization",
                  "AWS4-HMAC-SHA256 Credential="
                      + keyId
                      + "/"
                      + scope
                      + ", SignedHeaders="
                      + signedHeaders
                      + ", Signature="
                      + signature)
              .POST(HttpRequest.BodyPublishers.ofString(BODY))
              .build();
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return new Identity(r.statusCode(), between(r.body(), "Arn"), between(r.body(), "Code"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Identity(0, null, "interrupted");
    } catch (Exception e) {
      return new Identity(0, null, e.getClass().getSimpleName());
    }
  }

  private static String between(String xml, String tag) {
    int at = xml.indexOf("<" + tag + ">");
    int end = xml.indexOf("</" + tag + ">");
    return at >= 0 && end > at ? xml.substring(at + tag.length() + 2, end) : null;
  }

  private static String sha256(String s) throws GeneralSecurityException {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }
}
