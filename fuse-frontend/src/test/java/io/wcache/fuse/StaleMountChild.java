package io.wcache.fuse;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.policy.WritePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A process that mounts and then waits to be killed, leaving its mount behind (for {@link FuseMountLifecycleTest}). */
public final class StaleMountChild {

    private StaleMountChild() {
    }

    public static void main(String[] args) throws Exception {
        Path store = Files.createDirectories(Path.of(args[0]));
        FuseMount.mount(new FileBackedCacheService(store, Map.of("m", WritePolicy.WRITE_BACK)),
                FuseMountOptions.at(Path.of(args[1])), CacheSpace.of(() -> 1L << 30, () -> 1L << 29),
                new SimpleMeterRegistry());
        System.out.println("MOUNTED");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
