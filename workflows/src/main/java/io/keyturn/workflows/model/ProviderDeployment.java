package io.keyturn.workflows.model;

/**
 * One deployment of a model group at the proxy (a row of {@code /model/info}): its {@code
 * model_info.id}, its {@code litellm_params.model} and {@code api_base}, and the provider's id of
 * the key it calls with when Keyturn put it there ({@code model_info.keyturn_provider_key_id}).
 */
public record ProviderDeployment(
    String id, String litellmModel, String apiBase, String providerKeyId) {}
