package io.keyturn.starter;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.keyturn.workflows.client.TemporalConnection;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowServiceException;
import org.junit.jupiter.api.Test;

/** How Temporal's failures read to an operator: what happened, where, what to do. */
class TemporalFailuresTest {

  /** A command about one rotation, as status, wait and revoke-now are. */
  static TemporalCommand command() {
    TemporalCommand c =
        new TemporalCommand() {
          @Override
          protected String workflowId() {
            return "rotation/app/1";
          }

          @Override
          protected int run(WorkflowClient client) {
            return 0;
          }
        };
    c.connection = TemporalConnection.local("temporal.test:7233").with(null, "keys");
    return c;
  }

  static WorkflowExecution execution() {
    return WorkflowExecution.newBuilder().setWorkflowId("rotation/app/1").build();
  }

  /** What {@link #command()} makes of Temporal's NOT_FOUND answer saying {@code description}. */
  static CliFailure notFound(String description) {
    return command()
        .translate(
            new WorkflowNotFoundException(
                execution(),
                "KeyRotation",
                Status.NOT_FOUND.withDescription(description).asRuntimeException()));
  }

  @Test
  void anUnknownWorkflowNamesTheIdNamespaceAndAddress() {
    CliFailure f = notFound("workflow not found");

    assertThat(f.exitCode()).isEqualTo(1);
    assertThat(f.getMessage())
        .contains("no rotation with id 'rotation/app/1' in namespace 'keys' at temporal.test:7233");
  }

  @Test
  void aMissingNamespaceIsNotReportedAsAMissingWorkflow() {
    CliFailure f = notFound("Namespace keys is not found.");

    assertThat(f.getMessage())
        .startsWith("namespace 'keys' does not exist at temporal.test:7233")
        .contains("--namespace");
  }

  @Test
  void refusedCredentialsPointAtTheApiKeyAndTls() {
    CliFailure f =
        command()
            .translate(
                new WorkflowServiceException(
                    execution(),
                    "KeyRotation",
                    Status.UNAUTHENTICATED.withDescription("bad token").asRuntimeException()));

    assertThat(f.getMessage()).contains("temporal.test:7233").contains("TEMPORAL_API_KEY");
  }

  @Test
  void anUnreachableServerSaysHowToStartOne() {
    CliFailure f =
        command()
            .translate(Status.DEADLINE_EXCEEDED.withDescription("deadline").asRuntimeException());

    assertThat(f.getMessage())
        .startsWith(
            "cannot reach Temporal at temporal.test:7233: is the server running?"
                + " (scripts/demo.sh starts one)");
  }
}
