/**
 * keyturn.yaml as the CLI reads it: its JSON Schema, its secrets as {@link
 * io.keyturn.starter.config.SecretSpec}, and every problem found in it as a {@link
 * io.keyturn.starter.config.ConfigProblem} (file, field, message, fix). Reading it reads no key and
 * talks to nothing.
 */
package io.keyturn.starter.config;
