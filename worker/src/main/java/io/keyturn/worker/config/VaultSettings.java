package io.keyturn.worker.config;

import io.keyturn.activities.vault.VaultAuth;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.workflows.crypto.SecretFiles;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How the worker reaches Vault ({@code keyturn.vault.*}; defaults in application.yml). At most one
 * auth method: a token, or an AppRole role id and secret id; none at all is fine for a worker that
 * publishes to no Vault (a vault-kv2 destination on it then fails its check, before anything is
 * minted, naming the variables: {@link VaultAuth#missing()}). Secret files are re-read at each use,
 * so a rotated token or secret id is picked up without a restart.
 *
 * @param address VAULT_ADDR
 * @param token VAULT_TOKEN
 * @param tokenFile VAULT_TOKEN_FILE
 * @param namespace VAULT_NAMESPACE, sent on the AppRole login
 * @param approle AppRole instead of a token
 */
@ConfigurationProperties("keyturn.vault")
public record VaultSettings(
    @Nullable String address,
    @Nullable String token,
    @Nullable String tokenFile,
    @Nullable String namespace,
    @Nullable AppRole approle) {

  public VaultSettings {
    approle = approle == null ? new AppRole(null, null, null, null, null) : approle;
  }

  /**
   * AppRole credentials ({@code keyturn.vault.approle.*}), each a value or a file read at every
   * login.
   *
   * @param roleId VAULT_ROLE_ID
   * @param roleIdFile VAULT_ROLE_ID_FILE
   * @param secretId VAULT_SECRET_ID
   * @param secretIdFile VAULT_SECRET_ID_FILE
   * @param mount VAULT_APPROLE_MOUNT, the auth mount's path
   */
  @ConfigurationProperties("approle")
  public record AppRole(
      @Nullable String roleId,
      @Nullable String roleIdFile,
      @Nullable String secretId,
      @Nullable String secretIdFile,
      @Nullable String mount) {

    boolean given() {
      return !Blank.is(roleId)
          || !Blank.is(roleIdFile)
          || !Blank.is(secretId)
          || !Blank.is(secretIdFile);
    }

    /** Says which settings are given, never a secret id. */
    @Override
    public String toString() {
      return "AppRole[roleId="
          + Blank.mask(roleId)
          + ", roleIdFile="
          + roleIdFile
          + ", secretId="
          + Blank.mask(secretId)
          + ", secretIdFile="
          + secretIdFile
          + ", mount="
          + mount
          + "]";
    }
  }

  /** Every problem with these settings, each naming the variable to set. Empty when all is well. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    boolean token = tokenGiven();
    boolean appRole = approle.given();
    if (token && appRole) {
      problems.add(
          "two Vault auth methods: set either VAULT_TOKEN (or VAULT_TOKEN_FILE) or AppRole's"
              + " VAULT_ROLE_ID and VAULT_SECRET_ID (or their _FILE forms), not both");
      return problems;
    }
    if (!token && !appRole) {
      // A worker that publishes to no Vault needs no credentials; a vault-kv2 destination on it
      // fails its check (before minting) naming these variables (VaultAuth.missing()).
      return problems;
    }
    if (token) {
      oneSecret(problems, "VAULT_TOKEN", this.token, tokenFile, false);
      return problems;
    }
    oneSecret(problems, "VAULT_ROLE_ID", approle.roleId(), approle.roleIdFile(), true);
    oneSecret(problems, "VAULT_SECRET_ID", approle.secretId(), approle.secretIdFile(), true);
    try {
      VaultAuth.checkAppRoleMount(approle.mount());
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  /** A secret given as {@code NAME} or {@code NAME_FILE}: present, not twice, file readable. */
  private static void oneSecret(
      List<String> problems, String name, String value, String file, boolean exactlyOne) {
    if (Blank.is(value) && Blank.is(file)) {
      problems.add("AppRole needs " + name + " or " + name + "_FILE");
    } else if (exactlyOne && !Blank.is(value) && !Blank.is(file)) {
      problems.add(name + " and " + name + "_FILE are both set: set one");
    } else if (!Blank.is(file) && !Files.isReadable(Path.of(file))) {
      problems.add(name + "_FILE=" + file + " is not a readable file");
    }
  }

  private boolean tokenGiven() {
    return !Blank.is(token) || !Blank.is(tokenFile);
  }

  /** True when the worker was given no Vault credentials at all. */
  public boolean missing() {
    return !tokenGiven() && !approle.given();
  }

  /** True when the worker logs in with AppRole rather than a given token. */
  public boolean usesAppRole() {
    return !tokenGiven() && approle.given();
  }

  /**
   * How the worker authenticates to Vault: the given token, or an AppRole login whose role id and
   * secret id (and their files) are read at each login, or none ({@link VaultAuth#missing()}).
   */
  public VaultAuth auth(JsonHttp http) {
    if (missing()) {
      return VaultAuth.missing();
    }
    if (!usesAppRole()) {
      return VaultAuth.token(SecretFiles.source(token, tokenFile, "VAULT_TOKEN_FILE"));
    }
    return VaultAuth.appRole(
        http,
        address,
        approle.mount(),
        namespace,
        SecretFiles.source(approle.roleId(), approle.roleIdFile(), "VAULT_ROLE_ID_FILE"),
        SecretFiles.source(approle.secretId(), approle.secretIdFile(), "VAULT_SECRET_ID_FILE"));
  }

  /** Says which settings are given, never the token. */
  @Override
  public String toString() {
    return "VaultSettings[address="
        + address
        + ", token="
        + Blank.mask(token)
        + ", tokenFile="
        + tokenFile
        + ", namespace="
        + namespace
        + ", approle="
        + approle
        + "]";
  }
}
