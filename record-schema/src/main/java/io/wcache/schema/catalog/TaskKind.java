package io.wcache.schema.catalog;

/** What a persist task asks of the UFS: upload the path's committed version, or delete the path. */
public enum TaskKind {
    UPLOAD,
    DELETE
}
