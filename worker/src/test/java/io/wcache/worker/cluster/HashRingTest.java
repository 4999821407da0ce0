package io.wcache.worker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class HashRingTest {

    private static final List<String> THREE = List.of("worker-0", "worker-1", "worker-2");

    @Test
    void placementIsTheOwnerThenDistinctSuccessorsAndTheSameOnEveryWorker() {
        HashRing a = HashRing.of(THREE);
        HashRing b = HashRing.of(List.of("worker-2", "worker-0", "worker-1"));
        for (int i = 0; i < 200; i++) {
            NamespacePath p = NamespacePath.of("/m/k" + i);
            List<String> placement = a.placement(p, 3);
            assertThat(placement).hasSize(3).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(THREE);
            assertThat(b.placement(p, 3)).isEqualTo(placement);
            assertThat(a.owner(p)).isEqualTo(placement.get(0));
            assertThat(a.placement(p, 5)).hasSize(3);
        }
        assertThat(HashRing.of(List.of()).owner(NamespacePath.of("/m/k"))).isNull();
    }

    @Test
    void sharesSumToOneAndRemovingAWorkerMovesOnlyItsPaths() {
        HashRing three = HashRing.of(THREE);
        Map<String, Double> shares = three.shares();
        assertThat(shares.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, Offset.offset(1e-9));
        shares.values().forEach(s -> assertThat(s).isBetween(0.2, 0.47));
        assertThat(HashRing.of(List.of("solo")).shares()).containsEntry("solo", 1.0);
        HashRing two = HashRing.of(List.of("worker-0", "worker-2"));
        int owned = 0;
        for (int i = 0; i < 1000; i++) {
            NamespacePath p = NamespacePath.of("/m/obj-" + i);
            String before = three.owner(p);
            if (!before.equals("worker-1")) {
                owned++;
                assertThat(two.owner(p)).as("a path not owned by the removed worker keeps its owner").isEqualTo(before);
            }
        }
        assertThat(owned).isBetween(500, 800);
    }
}
