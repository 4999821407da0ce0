package io.wcache.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WcacheConfigTest {

    @Test
    void defaultsMatchTheDesignTable() {
        WcacheConfig c = WcacheConfig.defaults();
        assertThat(c.metadataEngine()).isEqualTo("embedded:./data/meta");
        assertThat(c.cacheDirs()).containsExactly(Path.of("./data/cache"));
        assertThat(c.get(ConfigKeys.ORPHAN_TIMEOUT)).isEqualTo(Duration.ofHours(1));
        assertThat(c.get(ConfigKeys.FILE_CHECK_PERIOD)).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.get(ConfigKeys.PINNED_CAPACITY_RATIO)).isEqualTo(0.3);
        assertThat(c.get(ConfigKeys.MARK_WRITING_DURATION)).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.get(ConfigKeys.PERSIST_RETRY_INITIAL)).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.get(ConfigKeys.PERSIST_RETRY_MAX)).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.get(ConfigKeys.FUSE_SILLY_RENAME)).isFalse();
        assertThat(c.writeCacheEnabled()).isTrue();
        assertThat(c.defaultPolicy()).isEqualTo(WritePolicy.WRITE_THROUGH);
        assertThat(c.get(ConfigKeys.S3_CREDENTIALS)).isEmpty();
        assertThat(c.mounts().mounts()).isEmpty();
    }

    @Test
    void shippedConfigWritesBackAndHasADemoMount() {
        WcacheConfig c = WcacheConfig.shipped(List.of());
        assertThat(c.defaultPolicy()).isEqualTo(WritePolicy.WRITE_BACK);
        assertThat(c.writeCacheEnabled()).isTrue();
        assertThat(c.mounts().resolve(NamespacePath.of("/demo/x")).localDirectory()).isEqualTo(Path.of("./data/ufs/demo"));
        assertThat(c.get(ConfigKeys.S3_CREDENTIALS)).containsExactly(new S3Credential("wcache", "wcache-secret"));
    }

    /** Moving the data directory moves the demo mount's local object store with it, as every other default. */
    @Test
    void theShippedDemoMountLivesUnderTheDataDirectory() {
        WcacheConfig c = WcacheConfig.shipped(List.of("data.dir=/srv/wc"));
        assertThat(c.mounts().resolve(NamespacePath.of("/demo/x")).localDirectory()).isEqualTo(Path.of("/srv/wc/ufs/demo"));
        WcacheConfig own = WcacheConfig.fromYaml("data.dir: /d\nmounts:\n  - path: /a\n    ufs: 'file:${data.dir}/a'\n",
                "f", List.of());
        assertThat(own.mounts().resolve(NamespacePath.of("/a/x")).localDirectory()).isEqualTo(Path.of("/d/a"));
    }

    @Test
    void fileThenOverridesWinInThatOrder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("wcache.yaml");
        Files.writeString(file, """
                data.dir: /var/lib/wcache
                cache.capacity: 2TiB
                s3.address: 0.0.0.0:9100
                cache:
                  dirs: [/nvme0, /nvme1]
                write.cache.async.file.check.period: 5min
                mounts:
                  - path: /s3
                    ufs: s3://bucket/prefix
                    ufs.s3.endpoint: http://127.0.0.1:9999
                    options: {ufs.s3.region: us-east-1}
                """);
        WcacheConfig c = WcacheConfig.load(file, List.of("cache.capacity=512MiB", "path.default.policy=write_back"));
        assertThat(c.cacheCapacityBytes()).isEqualTo(512L << 20);
        assertThat(c.source(ConfigKeys.CACHE_CAPACITY)).isEqualTo("--set");
        assertThat(c.source(ConfigKeys.S3_ADDRESS)).isEqualTo(file.toString());
        assertThat(c.source(ConfigKeys.ORPHAN_TIMEOUT)).isEqualTo("default");
        assertThat(c.s3Address()).isEqualTo(new HostPort("0.0.0.0", 9100));
        assertThat(c.cacheDirs()).containsExactly(Path.of("/nvme0"), Path.of("/nvme1"));
        assertThat(c.metadataEngine()).isEqualTo("embedded:/var/lib/wcache/meta");
        assertThat(c.defaultPolicy()).isEqualTo(WritePolicy.WRITE_BACK);
        assertThat(c.get(ConfigKeys.FILE_CHECK_PERIOD)).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.mounts().find("s3").orElseThrow().options())
                .containsEntry("ufs.s3.endpoint", "http://127.0.0.1:9999").containsEntry("ufs.s3.region", "us-east-1");
        assertThat(c.pinnedCapacityBytes()).isEqualTo((long) ((512L << 20) * 0.3));
    }

    @Test
    void listOverridesAcceptCommasOrYaml() {
        WcacheConfig c = WcacheConfig.fromYaml("", "test", List.of("cache.dirs=/a, /b",
                "s3.credentials=[{accessKey: k, secretKey: s}]"));
        assertThat(c.cacheDirs()).containsExactly(Path.of("/a"), Path.of("/b"));
        assertThat(c.get(ConfigKeys.S3_CREDENTIALS)).containsExactly(new S3Credential("k", "s"));
        assertThat(c.effectiveValues().get("s3.credentials")).doesNotContain("s]").contains("***");
    }

    @Test
    void unknownKeyIsAnErrorNamingItWithAHint() {
        assertThatThrownBy(() -> WcacheConfig.fromYaml("cache.capcity: 1GiB", "f.yaml", List.of()))
                .isInstanceOfSatisfying(WcacheException.InvalidArgument.class,
                        e -> assertThat(e.subject()).isEqualTo("cache.capcity"))
                .hasMessageContaining("unknown config key 'cache.capcity'")
                .hasMessageContaining("did you mean 'cache.capacity'");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("", "f", List.of("no.such.key=1")))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("'no.such.key'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "cache.capacity: 20XB|cache.capacity|20XB",
            "worker.mark.writing.files.duration: 10|worker.mark.writing.files.duration|'10'",
            "write.cache.async.check.orphan.timeout: soon|write.cache.async.check.orphan.timeout|soon",
            "worker.page.store.pinned.file.capacity.limit.ratio: 1.5|worker.page.store.pinned.file.capacity.limit.ratio|1.5",
            "write.cache.enabled: yes please|write.cache.enabled|yes please",
            "write.cache.async.persist.thread.pool.size: 0|write.cache.async.persist.thread.pool.size|'0'",
            "path.default.policy: FAST|path.default.policy|FAST",
            "metadata.engine: mysql://x|metadata.engine|mysql://x",
            "s3.auth: basic|s3.auth|basic",
            "admin.address: localhost|admin.address|localhost",
            "cache.capacity: [1, 2]|cache.capacity|[1,2]",
    })
    void badValueIsAnErrorNamingKeyAndValue(String yaml, String key, String shownValue) {
        assertThatThrownBy(() -> WcacheConfig.fromYaml(yaml, "f.yaml", List.of()))
                .isInstanceOfSatisfying(WcacheException.InvalidArgument.class, e -> assertThat(e.subject()).isEqualTo(key))
                .hasMessageContaining("'" + key + "'")
                .hasMessageContaining(shownValue.replace("'", ""));
    }

    @Test
    void malformedStructureIsReported() {
        assertThatThrownBy(() -> WcacheConfig.fromYaml("a: [unclosed", "f.yaml", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("- just\n- a list", "f.yaml", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("must be a map");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("cache.capacity: 1GiB\ncache.capacity: 2GiB", "f.yaml", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("cache.capacity");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("", "f", List.of("cache.capacity")))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("not key=value");
        assertThatThrownBy(() -> WcacheConfig.load(Path.of("/nonexistent/wcache.yaml"), List.of()))
                .isInstanceOf(WcacheException.NotFound.class);
    }

    @Test
    void badMountsNameTheEntry() {
        assertThatThrownBy(() -> WcacheConfig.fromYaml("mounts:\n  - path: /a/b\n    ufs: file:///x", "f", List.of()))
                .isInstanceOfSatisfying(WcacheException.InvalidArgument.class, e -> assertThat(e.subject()).isEqualTo("mounts[0]"))
                .hasMessageContaining("top-level");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("mounts:\n  - path: /a\n    ufs: file:///x\n    color: red", "f", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("mounts[0].color");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("mounts:\n  - path: /a\n", "f", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("mounts[0].ufs");
        assertThatThrownBy(() -> WcacheConfig.fromYaml(
                "mounts:\n  - {path: /a, ufs: 'file:///x'}\n  - {path: /a, ufs: 'file:///y'}", "f", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("mounts:\n  - path: /a\n    ufs: ftp://x", "f", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("ftp://x");
    }

    @Test
    void fuseLibraryIsAutoByDefaultAndAcceptsOnlyTheThreeSpellings() {
        assertThat(WcacheConfig.defaults().get(ConfigKeys.FUSE_LIBRARY)).isEqualTo("auto");
        assertThat(WcacheConfig.fromYaml("fuse.library: FUSE2", "f", List.of()).get(ConfigKeys.FUSE_LIBRARY))
                .isEqualTo("fuse2");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("fuse.library: fuse4", "f", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("fuse.library").hasMessageContaining("auto, fuse3 or fuse2");
    }
}
