package io.wcache.fdb.embedded;

import com.apple.foundationdb.Database;
import io.wcache.fdb.MetadataEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The API conformance suite against the embedded engine. */
class EmbeddedConformanceTest extends DatabaseConformance {
    @TempDir
    static Path dir;
    private static MetadataEngine engine;

    @BeforeAll
    static void open() {
        engine = MetadataEngine.open("embedded:" + dir);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Override
    protected Database database() {
        return engine.database();
    }
}
