/**
 * Providers of upstream keys ({@code provider:} of a {@code providerKeys:} entry) as the CLI,
 * keyturn.yaml and the worker see them: names, descriptions, settings and their validation, JSON
 * Schema, key shape, whether the worker makes the keys itself and whether a secret store can hold
 * them.
 *
 * <p>A {@link io.keyturn.workflows.provider.ProviderType} is found by {@link
 * io.keyturn.workflows.provider.ProviderTypes} through {@link java.util.ServiceLoader}; each is one
 * file here:
 *
 * <ul>
 *   <li>{@code manual}: {@link io.keyturn.workflows.provider.ManualProviderType};
 *   <li>{@code openai}: {@link io.keyturn.workflows.provider.OpenAiProviderType};
 *   <li>{@code aws-iam}: {@link io.keyturn.workflows.provider.AwsIamProviderType}.
 * </ul>
 *
 * <p>The calls are the worker's: the activities module's {@code KeyProvider} of the same name, made
 * by its {@code KeyProvider.Factory}. Adding a provider is one type here, one provider there and
 * its test; the schema, the config checks and the worker's registry follow from them.
 */
package io.keyturn.workflows.provider;
