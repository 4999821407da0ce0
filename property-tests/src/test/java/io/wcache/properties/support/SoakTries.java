package io.wcache.properties.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Scales a property's tries by the soak factor: {@code -Dwcache.soak=N} multiplies the tries set
 * in {@code @Property(tries = ...)} by N, so CI runs the bounded count and the long soak runs the
 * same properties many more times. A factor of 0 or 1 (the default) leaves the tries as written.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@AddLifecycleHook(SoakTries.Hook.class)
public @interface SoakTries {

    /** The system property holding the factor. */
    String FACTOR_PROPERTY = "wcache.soak";

    /** Multiplies the tries before the property runs. */
    final class Hook implements AroundPropertyHook {
        /** The current factor (at least 1). */
        public static int factor() {
            try {
                return Math.max(1, Integer.parseInt(System.getProperty(FACTOR_PROPERTY, "1").trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(FACTOR_PROPERTY + " must be a whole number, got "
                        + System.getProperty(FACTOR_PROPERTY), e);
            }
        }

        /** Declared on a class, the hook must reach its properties (a container hook stays on the container otherwise). */
        @Override
        public net.jqwik.api.lifecycle.PropagationMode propagateTo() {
            return net.jqwik.api.lifecycle.PropagationMode.ALL_DESCENDANTS;
        }

        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            int f = factor();
            if (f > 1) {
                int tries = context.attributes().tries().orElse(1000);
                context.attributes().setTries((int) Math.min(Integer.MAX_VALUE, (long) tries * f));
            }
            return property.execute();
        }
    }
}
