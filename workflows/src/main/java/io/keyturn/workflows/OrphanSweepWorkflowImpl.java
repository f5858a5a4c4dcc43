package io.keyturn.workflows;

import io.keyturn.workflows.model.Orphan;
import io.keyturn.workflows.model.OrphanDeletion;
import io.keyturn.workflows.model.SweepRequest;
import io.keyturn.workflows.model.SweepResult;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;

/** See {@link OrphanSweepWorkflow}. */
public class OrphanSweepWorkflowImpl implements OrphanSweepWorkflow {
  private final KeyAuditActivities audit =
      Workflow.newActivityStub(KeyAuditActivities.class, DriftCheckWorkflowImpl.AUDIT);

  @Override
  public SweepResult sweep(SweepRequest request) {
    if (request.delete().isEmpty()) {
      return new SweepResult(audit.findOrphans(request.secrets()), List.of());
    }
    List<OrphanDeletion> done = new ArrayList<>();
    // One at a time, each checked again right before it is deleted.
    for (Orphan o : request.delete()) {
      done.add(audit.deleteOrphan(request.secrets(), o));
    }
    return new SweepResult(null, done);
  }
}
