package io.wcache.worker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.CacheService;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

class ClusterCacheServiceTest {

    /** A default method of CacheService left to its default would bypass the worker's own service. */
    @Test
    void everyCacheServiceOperationIsDecidedByTheClusterService() throws NoSuchMethodException {
        for (Method m : CacheService.class.getMethods()) {
            Method impl = ClusterCacheService.class.getMethod(m.getName(), m.getParameterTypes());
            assertThat(impl.getDeclaringClass()).as("%s is implemented by ClusterCacheService", m)
                    .isEqualTo(ClusterCacheService.class);
        }
    }
}
