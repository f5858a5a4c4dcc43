package io.keyturn.workflows.operator;

import java.util.List;

/**
 * Where a rotation through the operator is: its phase, a sentence, the copy it made and what it
 * published (locations only; never a value).
 */
public record OperatorRotationStatus(
    String phase, String message, String copy, String newKey, List<String> published) {}
