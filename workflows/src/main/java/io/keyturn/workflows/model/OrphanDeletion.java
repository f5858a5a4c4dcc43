package io.keyturn.workflows.model;

/**
 * What happened to one key the operator confirmed for deletion, after the worker checked it once
 * more right before deleting.
 *
 * @param deleted true when this call deleted it
 * @param outcome a sentence: deleted, already gone, or kept and why (a destination holds it now, a
 *     rotation owns it)
 */
public record OrphanDeletion(KeyRef key, String alias, boolean deleted, String outcome) {}
