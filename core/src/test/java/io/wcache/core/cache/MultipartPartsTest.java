package io.wcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.cache.MultipartParts.Rule;
import io.wcache.core.cache.MultipartParts.Violation;
import io.wcache.core.error.WcacheException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MultipartPartsTest {
    private static final long MIB = 1024 * 1024;

    private static PartInfo part(int n, long size, String etag) {
        return new PartInfo(n, size, etag, Instant.EPOCH);
    }

    private static final Map<Integer, PartInfo> STORED = Map.of(
            1, part(1, 5 * MIB, "aa"),
            2, part(2, 5 * MIB - 1, "bb"),
            3, part(3, 1, "cc"));

    @Test
    void partNumbersRunFromOneToTenThousand() {
        assertThat(MultipartParts.validPartNumber(1)).isTrue();
        assertThat(MultipartParts.validPartNumber(10_000)).isTrue();
        assertThat(MultipartParts.validPartNumber(0)).isFalse();
        assertThat(MultipartParts.validPartNumber(10_001)).isFalse();
        assertThatThrownBy(() -> MultipartParts.checkPartNumber("u1", 10_001))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("out of range 1..10000");
    }

    @Test
    void aCompletionNamesUploadedPartsInAscendingOrderWithTheirEtags() {
        assertThat(MultipartParts.namingViolation(List.of(new PartRef(1, "\"AA\""), new PartRef(3, "cc")), STORED))
                .isEmpty();
        assertThat(MultipartParts.namingViolation(List.of(new PartRef(3, "cc"), new PartRef(1, "aa")), STORED))
                .map(Violation::rule).contains(Rule.ASCENDING);
        assertThat(MultipartParts.namingViolation(List.of(new PartRef(1, "aa"), new PartRef(4, "dd")), STORED))
                .map(Violation::rule).contains(Rule.UPLOADED);
        assertThat(MultipartParts.namingViolation(List.of(new PartRef(1, "ab")), STORED))
                .map(Violation::partNumber).contains(1);
        assertThat(MultipartParts.namingViolation(List.of(new PartRef(1, "ab")), STORED))
                .map(Violation::rule).contains(Rule.SAME_ETAG);
    }

    @Test
    void everyPartButTheLastHoldsAtLeastFiveMebibytes() {
        assertThat(MultipartParts.sizeViolation(List.of(new PartRef(1, "aa"), new PartRef(2, "bb")), STORED)).isEmpty();
        assertThat(MultipartParts.sizeViolation(List.of(new PartRef(1, "aa"), new PartRef(2, "bb"),
                new PartRef(3, "cc")), STORED)).map(Violation::partNumber).contains(2);
        assertThat(MultipartParts.sizeViolation(List.of(new PartRef(2, "bb"), new PartRef(3, "cc")), STORED)
                .map(v -> v.toException("u1"))).get().isInstanceOf(WcacheException.InvalidArgument.class);
    }
}
