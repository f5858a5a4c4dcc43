/**
 * Rotation of a key the LiteLLM Kubernetes operator manages, through the operator: blue/green with
 * VirtualKey objects ({@link io.keyturn.workflows.operator.OperatorRotationWorkflow}).
 */
package io.keyturn.workflows.operator;
