/**
 * Secret store types as the CLI, keyturn.yaml and the worker see them: names, settings, validation,
 * JSON Schema, descriptions and the checks {@code keyturn plan} makes.
 *
 * <p>A {@link io.keyturn.workflows.store.StoreType} is found by {@link
 * io.keyturn.workflows.store.StoreTypes} through {@link java.util.ServiceLoader}; each type is one
 * file here, its typed settings record with the type nested in it:
 *
 * <ul>
 *   <li>{@code vault-kv2}: {@link io.keyturn.workflows.store.VaultKv2Config};
 *   <li>{@code aws-secretsmanager}: {@link io.keyturn.workflows.store.AwsSecretsManagerConfig};
 *   <li>{@code file}: {@link io.keyturn.workflows.store.FileStoreConfig};
 *   <li>{@code kubernetes-secret}: {@link io.keyturn.workflows.store.KubernetesSecretConfig};
 *   <li>{@code azure-keyvault}: {@link io.keyturn.workflows.store.AzureKeyVaultConfig};
 *   <li>{@code gcp-secretmanager}: {@link io.keyturn.workflows.store.GcpSecretManagerConfig}.
 * </ul>
 *
 * <p>The writes are the worker's: the activities module's {@code SecretStoreProvider} of the same
 * name turns these settings into a {@code SecretStore}. The split keeps every store SDK (AWS,
 * Kubernetes, Azure) out of this module and out of the CLI.
 */
package io.keyturn.workflows.store;
