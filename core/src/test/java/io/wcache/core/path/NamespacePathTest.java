package io.wcache.core.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.ErrorKind;
import io.wcache.core.error.WcacheException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamespacePathTest {

    @Test
    void validPathExposesItsParts() {
        NamespacePath p = NamespacePath.of("/s3/logs/2024/a.txt");
        assertThat(p.segments()).containsExactly("s3", "logs", "2024", "a.txt");
        assertThat(p.name()).isEqualTo("a.txt");
        assertThat(p.mountName()).isEqualTo("s3");
        assertThat(p.mountPath()).isEqualTo(NamespacePath.of("/s3"));
        assertThat(p.relativeToMount()).isEqualTo("logs/2024/a.txt");
        assertThat(p.parent()).contains(NamespacePath.of("/s3/logs/2024"));
        assertThat(p.toString()).isEqualTo("/s3/logs/2024/a.txt");
    }

    @Test
    void rootHasNoParentNameOrMount() {
        NamespacePath root = NamespacePath.of("/");
        assertThat(root.isRoot()).isTrue();
        assertThat(root.parent()).isEmpty();
        assertThat(root.name()).isEmpty();
        assertThatThrownBy(root::mountName).isInstanceOf(WcacheException.InvalidPath.class);
        assertThat(NamespacePath.of("/s3").parent()).contains(root);
        assertThat(NamespacePath.of("/s3").relativeToMount()).isEmpty();
    }

    @Test
    void prefixMatchIsByWholeSegments() {
        NamespacePath a = NamespacePath.of("/s3/a");
        assertThat(a.isPrefixOf(NamespacePath.of("/s3/a/x"))).isTrue();
        assertThat(a.isPrefixOf(a)).isTrue();
        assertThat(a.isPrefixOf(NamespacePath.of("/s3/ab"))).isFalse();
        assertThat(a.isPrefixOf(NamespacePath.of("/s3"))).isFalse();
        assertThat(NamespacePath.root().isPrefixOf(a)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "relative/path", "/a//b", "/a/", "//", "/a/./b", "/a/../b", "/..", "/.", "/a\0b",
            "/a/b//", "/a/./", "/a/b/../"})
    void malformedPathIsInvalidPathAndNeverNormalised(String bad) {
        assertThatThrownBy(() -> NamespacePath.of(bad))
                .isInstanceOfSatisfying(WcacheException.InvalidPath.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_PATH);
                    assertThat(e.subject()).isEqualTo(bad);
                });
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', emptyValue = "", value = {
            "''|path is empty",
            "a/b|path must be absolute (start with '/')",
            "/a//b|path has an empty segment ('//')",
            "/a/|a mount path must not end with '/'",
            "/a/b//|path has an empty segment ('//')",
            "/a/./b|segment '.' is not allowed",
            "/a/../b|segment '..' is not allowed",
    })
    void eachRuleHasItsDocumentedMessage(String bad, String message) {
        assertThatThrownBy(() -> NamespacePath.of(bad)).isInstanceOf(WcacheException.InvalidPath.class)
                .hasMessage(message);
        assertThatThrownBy(() -> NamespacePath.of("/a\0b")).hasMessage("path contains a NUL character");
    }

    @Test
    void aFolderMarkerIsItsOwnPathWithTheFoldersSegments() {
        NamespacePath marker = NamespacePath.of("/s3/logs/2024/");
        assertThat(marker.isFolderMarker()).isTrue();
        assertThat(marker.toString()).isEqualTo("/s3/logs/2024/");
        assertThat(marker.relativeToMount()).isEqualTo("logs/2024/");
        assertThat(marker.segments()).containsExactly("s3", "logs", "2024");
        assertThat(marker.name()).isEqualTo("2024");
        assertThat(marker.parent()).contains(NamespacePath.of("/s3/logs"));
        assertThat(marker.mountPath()).isEqualTo(NamespacePath.of("/s3"));
        assertThat(marker.withoutFolderMarker()).isEqualTo(NamespacePath.of("/s3/logs/2024"));
        assertThat(NamespacePath.of("/s3/logs/2024").folderMarker()).isEqualTo(marker);
        assertThat(marker).isNotEqualTo(NamespacePath.of("/s3/logs/2024"));
        assertThat(marker.child("a")).isEqualTo(NamespacePath.of("/s3/logs/2024/a"));
        assertThat(marker.resolve("a/b/")).isEqualTo(NamespacePath.of("/s3/logs/2024/a/b/"));
        assertThat(marker.isPrefixOf(NamespacePath.of("/s3/logs/2024/a"))).isTrue();
        // S3 order: the folder, then its marker, then everything under it, then its siblings
        assertThat(List.of(NamespacePath.of("/s3/logs/2024/a"), NamespacePath.of("/s3/logs/20240"), marker,
                NamespacePath.of("/s3/logs/2024")).stream().sorted().map(NamespacePath::toString))
                .containsExactly("/s3/logs/2024", "/s3/logs/2024/", "/s3/logs/2024/a", "/s3/logs/20240");
        assertThatThrownBy(() -> NamespacePath.of("/s3").folderMarker()).isInstanceOf(WcacheException.InvalidPath.class);
        assertThat(NamespacePath.of("/s3/a").isFolderMarker()).isFalse();
        assertThat(NamespacePath.root().isFolderMarker()).isFalse();
    }

    @Test
    void nullPathIsInvalidPath() {
        assertThatThrownBy(() -> NamespacePath.of(null)).isInstanceOf(WcacheException.InvalidPath.class);
    }

    @Test
    void unpairedSurrogateIsInvalidPath() {
        assertThatThrownBy(() -> NamespacePath.of("/a/\uD800x")).isInstanceOf(WcacheException.InvalidPath.class)
                .hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> NamespacePath.of("/a/\uDC00")).isInstanceOf(WcacheException.InvalidPath.class);
    }

    @Test
    void malformedUtf8BytesAreRefusedNotReplaced() {
        byte[] bad = {'/', 'a', '/', (byte) 0xC3, (byte) 0x28};
        assertThatThrownBy(() -> NamespacePath.ofUtf8(bad)).isInstanceOf(WcacheException.InvalidPath.class)
                .hasMessageContaining("not valid UTF-8");
        assertThat(NamespacePath.ofUtf8("/s3/caf\u00e9".getBytes(StandardCharsets.UTF_8)).name()).isEqualTo("caf\u00e9");
    }

    @Test
    void lengthLimitsAreInUtf8Bytes() {
        String seg255 = "a".repeat(255);
        assertThat(NamespacePath.of("/s3/" + seg255).name()).hasSize(255);
        assertThatThrownBy(() -> NamespacePath.of("/s3/" + "a".repeat(256)))
                .isInstanceOf(WcacheException.InvalidPath.class).hasMessageContaining("255");
        // 128 two-byte characters are 256 bytes: over the segment limit although only 128 chars.
        assertThatThrownBy(() -> NamespacePath.of("/s3/" + "\u00e9".repeat(128)))
                .isInstanceOf(WcacheException.InvalidPath.class);
        StringBuilder sb = new StringBuilder();
        while (sb.length() + 101 <= NamespacePath.MAX_PATH_BYTES) {
            sb.append('/').append("b".repeat(100));
        }
        assertThat(NamespacePath.of(sb.toString())).isNotNull();
        assertThatThrownBy(() -> NamespacePath.of(sb + "/" + "c".repeat(100)))
                .isInstanceOf(WcacheException.InvalidPath.class).hasMessageContaining("4096");
    }

    @Test
    void orderingIsTheOrderOfUtf8Bytes() {
        List<String> raw = List.of("/s3/\uFFFD", "/s3/\uD83D\uDE00", "/s3/a", "/s3/a/b", "/s3/a0", "/s3/a.b", "/s3/B");
        List<NamespacePath> paths = new ArrayList<>(raw.stream().map(NamespacePath::of).toList());
        paths.sort(null);
        List<String> byBytes = new ArrayList<>(raw);
        byBytes.sort((x, y) -> Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8)));
        assertThat(paths.stream().map(NamespacePath::toString).toList()).isEqualTo(byBytes);
    }

    @Test
    void childAndResolveValidate() {
        NamespacePath s3 = NamespacePath.of("/s3");
        assertThat(s3.child("x").resolve("y/z")).isEqualTo(NamespacePath.of("/s3/x/y/z"));
        assertThat(NamespacePath.root().child("s3")).isEqualTo(s3);
        assertThatThrownBy(() -> s3.child("..")).isInstanceOf(WcacheException.InvalidPath.class);
        assertThatThrownBy(() -> s3.child("a//")).isInstanceOf(WcacheException.InvalidPath.class);
    }
}
