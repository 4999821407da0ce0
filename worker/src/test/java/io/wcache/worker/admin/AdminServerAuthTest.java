package io.wcache.worker.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wcache.core.config.HostPort;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API's access rules: loopback by default, a bearer token required elsewhere and whenever one is set. */
class AdminServerAuthTest {

    @TempDir
    Path root;

    @Test
    void refusesToStartOnANonLoopbackAddressWithoutAToken() {
        try (Worker w = TestWorkers.start(root)) {
            // Refused before binding: nothing listens beyond loopback.
            assertThatThrownBy(() -> AdminServer.start(w, new HostPort("0.0.0.0", 0), null,
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not a loopback address")
                    .hasMessageContaining(AdminServer.TOKEN_ENV);
        }
    }

    @Test
    void theTokenComesFromAdminTokenInTheConfig() {
        try (Worker w = TestWorkers.start(root, "admin.token=from-config")) {
            assertThat(AdminServer.configuredToken(w)).isEqualTo("from-config");
        }
        try (Worker w = TestWorkers.start(root.resolve("untokened"))) {
            assertThat(AdminServer.configuredToken(w)).isEmpty();
        }
    }

    @Test
    void aConfiguredTokenIsRequiredOnEveryRequest() throws Exception {
        try (Worker w = TestWorkers.start(root);
             AdminServer s = AdminServer.start(w, new HostPort("127.0.0.1", 0), "s3cret",
                     new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            URI info = URI.create("http://127.0.0.1:" + s.address().getPort() + "/api/v1/info");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> none = http.send(HttpRequest.newBuilder(info).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.body()).contains("\"error\":\"UNAUTHORIZED\"", "\"hint\"");
            HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(info).header("Authorization", "Bearer nope").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).isEqualTo(401);
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(info).header("Authorization", "Bearer s3cret").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("\"metadataEngine\"");
        }
    }
}
