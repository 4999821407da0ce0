package io.wcache.schema.catalog;

import java.util.List;

/**
 * A condition on the path's committed version that a commit checks in its own transaction, so
 * that of several writers racing on one path exactly those the condition admits win:
 * {@code mustBeAbsent} (S3 {@code If-None-Match: *}, FUSE {@code O_EXCL}) refuses a commit when the
 * path has a committed version; {@code etagMatch} (S3 {@code If-Match}) refuses it when the
 * committed version's ETag is none of the listed ones ({@code *} matches any) or the path is
 * deleted. A path the Catalog knows nothing of passes {@code etagMatch}: its object, if any, is
 * only in the UFS, where the writer checked it when it began.
 */
public record WriteCondition(boolean mustBeAbsent, List<String> etagMatch) {

    /** No condition. */
    public static final WriteCondition NONE = new WriteCondition(false, List.of());

    public WriteCondition {
        etagMatch = List.copyOf(etagMatch);
    }

    public static WriteCondition absent() {
        return new WriteCondition(true, List.of());
    }

    public static WriteCondition ifMatch(List<String> etags) {
        return new WriteCondition(false, etags);
    }

    public boolean isNone() {
        return !mustBeAbsent && etagMatch.isEmpty();
    }

    /** Whether {@code etag} is one of {@link #etagMatch()} (quotes ignored, {@code *} matches any). */
    public boolean matches(String etag) {
        String bare = unquote(etag);
        for (String t : etagMatch) {
            if (t.equals("*") || unquote(t).equals(bare)) {
                return true;
            }
        }
        return false;
    }

    private static String unquote(String etag) {
        String e = etag == null ? "" : etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
    }
}
