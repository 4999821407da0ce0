package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineFloorsTest {

    @Test
    void fsyncFloorRecordsEverySyncAndLeavesNoFile(@TempDir Path dir) throws Exception {
        LatencySummary s = MachineFloors.appendAndSync(dir, 10 * 1024, Duration.ofMillis(200));
        assertThat(s.ops()).isPositive();
        assertThat(s.histogram().getTotalCount()).isEqualTo(s.ops());
        assertThat(s.p50Ms()).isPositive();
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void sequentialBandwidthIsTheMedianRound(@TempDir Path dir) throws Exception {
        MachineFloors.Bandwidth b = MachineFloors.sequentialWrite(dir, 8L << 20, 4L << 20, 3);
        assertThat(b.roundsMbPerSecond()).hasSize(3);
        assertThat(java.util.Arrays.stream(b.roundsMbPerSecond()).min().orElseThrow()).isPositive();
        double[] sorted = b.roundsMbPerSecond().clone();
        java.util.Arrays.sort(sorted);
        assertThat(b.medianMbPerSecond()).isEqualTo(sorted[1]);
    }

    @Test
    void loopbackRoundTripsCompleteOnAKeptAliveConnection() throws Exception {
        LatencySummary s = MachineFloors.loopbackHttpRoundTrip(Duration.ofMillis(200));
        assertThat(s.ops()).isGreaterThan(10);
        assertThat(s.p50Ms()).isPositive().isLessThan(50);
    }
}
