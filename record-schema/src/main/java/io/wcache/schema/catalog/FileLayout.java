package io.wcache.schema.catalog;

import java.util.List;

/**
 * A committed file and its extents in offset order, read in one transaction so that a reader
 * never pairs one version's description with another version's bytes.
 */
public record FileLayout(FileVersion file, List<Extent> extents) {
    public FileLayout {
        extents = List.copyOf(extents);
    }
}
