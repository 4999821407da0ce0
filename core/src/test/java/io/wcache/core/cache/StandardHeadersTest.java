package io.wcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StandardHeadersTest {

    @Test
    void namesAreMatchedCaseInsensitivelyAndKeptInLowerCase() {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("Cache-Control", "max-age=60");
        in.put("EXPIRES", "Wed, 01 Dec 2094 16:00:00 GMT");
        in.put("content-language", "");
        assertThat(StandardHeaders.of(in)).containsExactly(Map.entry("cache-control", "max-age=60"),
                Map.entry("expires", "Wed, 01 Dec 2094 16:00:00 GMT"));
    }

    @Test
    void unknownNamesAndValuesThatWouldSplitAHeaderAreRefused() {
        assertThatThrownBy(() -> StandardHeaders.of(Map.of("x-amz-meta-a", "1")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> StandardHeaders.of(Map.of("Content-Type", "text/plain")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> StandardHeaders.of(Map.of("cache-control", "a\r\nSet-Cookie: x")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> StandardHeaders.of(Map.of("cache-control", "a", "Cache-Control", "b")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> StandardHeaders.of(Map.of("expires", "x".repeat(StandardHeaders.MAX_VALUE_LENGTH + 1))))
                .isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void existingConstructorsCarryNoHeadersAndTheNewOnesValidate() {
        assertThat(new WriteOptions(null, Map.of(), Optional.empty(), false).standardHeaders()).isEmpty();
        assertThat(new WriteOptions(null, Map.of(), Optional.empty(), false, Map.of("Content-Encoding", "gzip")).standardHeaders())
                .containsExactly(Map.entry("content-encoding", "gzip"));
        assertThatThrownBy(() -> new WriteOptions(null, Map.of(), Optional.empty(), false, Map.of("etag", "x")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
    }
}
