package io.wcache.s3.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.CacheService;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EtagResolvingCacheTest {

    /**
     * The S3 frontend's view of the cache passes every call on: a method left to the interface's
     * default would answer the default (no access controls, no versions, ...) instead of the cache's.
     */
    @Test
    void everyMethodOfTheCacheIsPassedOnNoneLeftToTheInterfaceDefault() {
        List<String> missing = new ArrayList<>();
        for (Method m : CacheService.class.getDeclaredMethods()) {
            if (Modifier.isPrivate(m.getModifiers()) || Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            try {
                EtagResolvingCache.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(m.toString());
            }
        }
        assertThat(missing).isEmpty();
    }
}
