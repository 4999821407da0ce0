package io.wcache.core.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MountTableTest {

    private final MountTable table = MountTable.of(List.of(
            Mount.of("/s3", "s3://bucket/pre/fix", Map.of("ufs.s3.region", "eu-west-1")),
            Mount.of("/local", "file:///srv/ufs", Map.of())));

    @Test
    void pathResolvesToItsMount() {
        Mount m = table.resolve(NamespacePath.of("/s3/a/b"));
        assertThat(m.name()).isEqualTo("s3");
        assertThat(m.s3Bucket()).isEqualTo("bucket");
        assertThat(m.s3Prefix()).isEqualTo("pre/fix/");
        assertThat(m.options()).containsEntry("ufs.s3.region", "eu-west-1");
        assertThat(table.resolve(NamespacePath.of("/local/x")).localDirectory()).isEqualTo(Path.of("/srv/ufs"));
    }

    @Test
    void unknownBucketIsNotFoundNamingTheBucket() {
        assertThatThrownBy(() -> table.resolve(NamespacePath.of("/nope/key")))
                .isInstanceOfSatisfying(WcacheException.NotFound.class, e -> assertThat(e.subject()).isEqualTo("nope"));
    }

    @Test
    void badMountsAreInvalidArguments() {
        assertThatThrownBy(() -> Mount.of("/a/b", "file:///x", Map.of())).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("top-level");
        assertThatThrownBy(() -> Mount.of("/a", "http://x/y", Map.of())).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("unsupported scheme");
        assertThatThrownBy(() -> Mount.of("/a", "s3:///nobucket", Map.of())).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("no bucket");
        assertThatThrownBy(() -> Mount.of("/a", "s3://b/ x^", Map.of())).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("not a URI");
    }

    @Test
    void duplicateMountIsRefused() {
        assertThatThrownBy(() -> table.with(Mount.of("/s3", "file:///y", Map.of())))
                .isInstanceOf(WcacheException.AlreadyExists.class);
        assertThat(table.without("s3").find("s3")).isEmpty();
        assertThatThrownBy(() -> table.without("zzz")).isInstanceOf(WcacheException.NotFound.class);
    }
}
