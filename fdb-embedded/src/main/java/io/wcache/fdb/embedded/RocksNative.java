package io.wcache.fdb.embedded;

import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads RocksDB's JNI library from a copy that is unlinked as soon as it is mapped.
 *
 * <p>RocksDB's own loader extracts the 15 MB library into {@code java.io.tmpdir} under a fresh name per
 * process and deletes it only when the JVM exits normally, so every killed worker left a copy behind.
 * Linux keeps a mapped library alive after its file is unlinked, so the copy is removed right after the
 * load; a kill can only leave it behind during the few milliseconds of the copy itself. Where the jar
 * has no library for this platform under the expected name, RocksDB's own loader runs instead.
 */
final class RocksNative {
    private static final Logger LOG = LoggerFactory.getLogger(RocksNative.class);
    static final String DIR_PREFIX = "wcache-rocksdb-";
    private static boolean loaded;

    private RocksNative() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        String resource = Environment.getJniLibraryFileName("rocksdb");
        Path dir = null;
        try (InputStream in = RocksDB.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                dir = Files.createTempDirectory(DIR_PREFIX);
                // The name RocksDB.loadLibrary(paths) looks for in each directory it is given.
                Files.copy(in, dir.resolve(Environment.getJniLibraryFileName("rocksdbjni")));
                RocksDB.loadLibrary(List.of(dir.toString()));
            }
        } catch (IOException | UnsatisfiedLinkError e) {
            LOG.debug("Loading RocksDB from an unlinked copy failed; using RocksDB's own loader", e);
        } finally {
            deleteQuietly(dir);
        }
        RocksDB.loadLibrary();
        loaded = true;
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warn("Could not remove the RocksDB library copy in {}: {}", dir, e.toString());
        }
    }
}
