package io.wcache.schema.catalog;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** One embedded metadata engine per test JVM; each test gets its own catalog name in it. */
final class CatalogFixture {

    private static MetadataEngine engine;
    private static final AtomicInteger CATALOGS = new AtomicInteger();

    private CatalogFixture() {
    }

    static synchronized MetadataEngine engine() {
        if (engine == null) {
            try {
                Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "catalog-meta");
                engine = MetadataEngine.open("embedded:" + dir);
                Runtime.getRuntime().addShutdownHook(new Thread(engine::close));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return engine;
    }

    static Catalog newCatalog(TestClock clock) {
        return new Catalog(engine().recordDatabase(), "test-" + CATALOGS.incrementAndGet() + "-" + System.nanoTime(), clock);
    }

    /** Writes a whole object as one session with {@code chunks} extents of {@code chunkSize} bytes. */
    static CommitResult write(Catalog catalog, String path, WritePolicy policy, int chunks, long chunkSize) {
        FileVersion s = catalog.files().begin(BeginRequest.of(NamespacePath.of(path), policy, "w1"));
        catalog.files().addExtents(s.ref(), extents(s.fileId(), chunks, chunkSize));
        return catalog.files().commit(s.ref(), new CommitRequest(chunks * chunkSize, "etag-" + s.fileId(), s.fileId()));
    }

    static List<Extent> extents(long fileId, int chunks, long chunkSize) {
        List<Extent> out = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            out.add(new Extent(fileId, i * chunkSize, "w1", fileId, i * chunkSize, chunkSize, fileId * 31 + i));
        }
        return out;
    }
}
