package io.wcache.schema.catalog;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing: the files and the common prefixes, each in path order, and the token
 * that continues after the last entry of this page (empty on the last page).
 */
public record ListPage(List<FileVersion> files, List<String> commonPrefixes, Optional<String> continuation) {
    public ListPage {
        files = List.copyOf(files);
        commonPrefixes = List.copyOf(commonPrefixes);
    }

    public boolean truncated() {
        return continuation.isPresent();
    }
}
