package io.keyturn.worker.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.util.List;

/**
 * Whether the worker asks the cluster which keys the LiteLLM Kubernetes operator manages ({@code
 * keyturn.operator.*}: KEYTURN_OPERATOR_CHECK, KEYTURN_OPERATOR_NAMESPACE; defaults in
 * application.yml). When on, a key whose alias a VirtualKey object names is refused by a plain
 * rotation; the client is the worker's in-cluster service account or kubeconfig.
 *
 * @param check {@code on} or {@code off} (default)
 * @param namespace where to look for VirtualKey objects; blank: every namespace
 */
@ConfigurationProperties("keyturn.operator")
public record OperatorSettings(@Nullable String check, @Nullable String namespace) {

  /** Every problem with these settings, each naming the variable to set. Empty when all is well. */
  public List<String> problems() {
    return check == null || check.isBlank() || check.equals("on") || check.equals("off")
        ? List.of()
        : List.of(
            "KEYTURN_OPERATOR_CHECK="
                + check
                + " is neither on nor off: on makes the worker refuse keys whose alias a LiteLLM"
                + " operator VirtualKey names (it needs list on virtualkeys.auth.litellm.ai)");
  }

  public boolean enabled() {
    return "on".equals(check);
  }
}
