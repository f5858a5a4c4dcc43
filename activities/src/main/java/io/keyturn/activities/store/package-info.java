/**
 * Secret stores: where a rotated key is published for applications to read.
 *
 * <p>{@link io.keyturn.activities.store.SecretStore} is the seam. A store type is declared once, in
 * two halves: its {@link io.keyturn.workflows.store.StoreType} (name, settings and their
 * validation, schema, description, the CLI's check; in the workflows module, so the CLI carries it
 * without any store SDK) and, here, the store class whose nested {@link
 * io.keyturn.activities.store.SecretStoreProvider} opens it on the worker. {@link
 * io.keyturn.activities.store.SecretStoreRegistry} finds the providers through {@link
 * java.util.ServiceLoader}; nothing lists the stores.
 *
 * <ul>
 *   <li>{@code vault-kv2}: {@link io.keyturn.activities.store.VaultKv2Store}, Vault or OpenBao KV
 *       version 2, LiteLLM's {@code {"key": "sk-..."}} by default, check-and-set;
 *   <li>{@code aws-secretsmanager}: {@link io.keyturn.activities.store.AwsSecretsManagerStore},
 *       AWSPENDING then AWSCURRENT, plain string by default;
 *   <li>{@code file}: {@link io.keyturn.activities.store.FileStore}, a dotenv line or a JSON field,
 *       replaced atomically with mode 0600;
 *   <li>{@code kubernetes-secret}: {@link io.keyturn.activities.store.KubernetesSecretStore}, one
 *       data key of a Secret, resourceVersion-checked updates, the replaced value kept in {@code
 *       <field>.previous};
 *   <li>{@code azure-keyvault}: {@link io.keyturn.activities.store.AzureKeyVaultStore}, a new
 *       secret version per write, tagged; a rollback sets the previous value as a newer version;
 *   <li>{@code gcp-secretmanager}: {@link io.keyturn.activities.store.GcpSecretManagerStore}, a new
 *       secret version per write (LiteLLM reads versions/latest); a rollback re-adds the previous
 *       value and disables the undone version.
 * </ul>
 *
 * <p>Every side-effecting method is idempotent (its javadoc says how), values go in and never come
 * out (fingerprints only), and each store has a test extending the shared contract test {@code
 * SecretStoreContractTest}.
 *
 * <pre>{@code
 * SecretStore store = registry.create("file", Map.of("path", "/etc/app/litellm.env"));
 * StoreReceipt r = store.write(rawKey, new RotationContext(workflowId, "g7"));
 * // on failure later: store.restorePrevious(r.fingerprint());
 * }</pre>
 */
package io.keyturn.activities.store;
