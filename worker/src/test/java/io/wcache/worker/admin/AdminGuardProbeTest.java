package io.wcache.worker.admin;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.Headers;
import io.wcache.worker.admin.AdminError.AdminException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A Kubernetes HTTP probe of a worker whose admin API listens on every interface
 * (deploy/kubernetes: {@code admin.address: 0.0.0.0:9001}) is sent by the kubelet to the pod's IP,
 * with {@code Host: <pod IP>:9001} and no token. The guard lets it reach {@code /health} (one of the
 * machine's own addresses, an open route), still wants the token elsewhere, and still refuses a
 * foreign Host. No request is sent: the guard is checked on the headers alone.
 */
class AdminGuardProbeTest {

    @Test
    void aProbeAddressedToTheMachinesOwnAddressReachesHealthWithoutAToken() throws Exception {
        List<InetAddress> own = new ArrayList<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (!a.isLoopbackAddress() && !(a instanceof Inet6Address)) {
                    own.add(a);
                }
            }
        }
        Assumptions.assumeFalse(own.isEmpty(), "this machine has no non-loopback IPv4 address to stand for a pod IP");
        AdminGuard guard = AdminGuard.of("s3cret-token", "0.0.0.0", "");
        for (InetAddress a : own) {
            Headers probe = new Headers();
            probe.add("Host", a.getHostAddress() + ":9001");
            probe.add("User-Agent", "kube-probe/1.30");
            assertThatCode(() -> guard.check("GET", "/health", probe)).doesNotThrowAnyException();
            assertThatThrownBy(() -> guard.check("GET", "/api/v1/info", probe)).isInstanceOf(AdminException.class)
                    .hasMessageContaining("token");
        }
        Headers foreign = new Headers();
        foreign.add("Host", "attacker.example:9001");
        assertThatThrownBy(() -> guard.check("GET", "/health", foreign)).isInstanceOf(AdminException.class)
                .hasMessageContaining("attacker.example");
    }
}
