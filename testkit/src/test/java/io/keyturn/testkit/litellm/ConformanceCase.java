package io.keyturn.testkit.litellm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One conformance case, run once per {@link LiteLlmConformanceBase.Target}: against a fresh
 * in-process emulator, and against the real proxy named by {@code LITELLM_URL} and {@code
 * LITELLM_MASTER_KEY} (skipped, with the reason, when they are not both set).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "[{0}]")
@EnumSource(LiteLlmConformanceBase.Target.class)
@interface ConformanceCase {}
