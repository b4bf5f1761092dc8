package io.modelrouter.embedded.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/** An integration test on the embedded broker: tagged {@code integration} (run by failsafe) with a {@link KafkaStack}. */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("integration")
@ExtendWith(KafkaStackExtension.class)
public @interface IntegrationTest {}
