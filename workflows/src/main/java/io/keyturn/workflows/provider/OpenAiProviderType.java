package io.keyturn.workflows.provider;

import com.google.auto.service.AutoService;

/**
 * {@code provider: openai}: one service account per key in an OpenAI project ({@value #PROJECT}),
 * made and deleted by the worker with an organization admin key.
 */
@AutoService(ProviderType.class)
public final class OpenAiProviderType extends ProviderType {
  public static final String NAME = "openai";

  /** The setting naming the OpenAI project whose service accounts hold the keys. */
  public static final String PROJECT = "project";

  public OpenAiProviderType() {
    super(
        NAME,
        "a project service account made with the worker's admin key",
        true,
        KeyShape.API_KEY,
        ProviderSetting.required(
            PROJECT,
            "proj_[A-Za-z0-9_-]+",
            "the OpenAI project whose service accounts hold the keys (proj_...)",
            "an OpenAI project id",
            "copy it from the project's settings page: proj_...",
            "proj_abc123"));
  }
}
