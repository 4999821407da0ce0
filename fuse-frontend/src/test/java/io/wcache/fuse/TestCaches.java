package io.wcache.fuse;

import io.wcache.core.cache.CacheService;
import io.wcache.core.policy.WritePolicy;
import java.nio.file.Path;
import java.util.Map;

/** Public access to the test service for the benchmark package. */
public final class TestCaches {

    private TestCaches() {
    }

    public static CacheService fileBacked(Path dir, Map<String, WritePolicy> policyByMount) {
        return new FileBackedCacheService(dir, policyByMount);
    }
}
