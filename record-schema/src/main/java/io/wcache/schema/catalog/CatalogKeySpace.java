package io.wcache.schema.catalog;

import com.apple.foundationdb.record.provider.foundationdb.keyspace.KeySpace;
import com.apple.foundationdb.record.provider.foundationdb.keyspace.KeySpaceDirectory;
import com.apple.foundationdb.record.provider.foundationdb.keyspace.KeySpacePath;

/**
 * Where a catalog lives in the key space: {@code ("wcache", <catalog name>)}, with the record
 * store under {@code records} and raw counters (file-id blocks, per-worker bytes) under
 * {@code counters}. Several catalogs can share one database under different names (tests do).
 */
public final class CatalogKeySpace {

    public static final KeySpace KEY_SPACE = new KeySpace(
            new KeySpaceDirectory("wcache", KeySpaceDirectory.KeyType.STRING, "wcache")
                    .addSubdirectory(new KeySpaceDirectory("catalog", KeySpaceDirectory.KeyType.STRING)
                            .addSubdirectory(new KeySpaceDirectory("records", KeySpaceDirectory.KeyType.LONG, 0L))
                            .addSubdirectory(new KeySpaceDirectory("counters", KeySpaceDirectory.KeyType.LONG, 1L))));

    private CatalogKeySpace() {
    }

    public static KeySpacePath catalog(String name) {
        return KEY_SPACE.path("wcache").add("catalog", name);
    }

    static KeySpacePath records(String name) {
        return catalog(name).add("records");
    }

    static KeySpacePath counters(String name) {
        return catalog(name).add("counters");
    }
}
