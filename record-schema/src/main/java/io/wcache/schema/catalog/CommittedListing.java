package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;
import static io.wcache.schema.catalog.RecordTypes.limit;

import com.apple.foundationdb.record.EndpointType;
import com.apple.foundationdb.record.IndexScanType;
import com.apple.foundationdb.record.RecordCursor;
import com.apple.foundationdb.record.RecordCursorIterator;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.provider.foundationdb.FDBIndexedRecord;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.Message;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * One page of committed paths under a prefix, read through the (state, path) index within one
 * transaction: where the page starts (prefix, start-after, continuation token), the scan that
 * folds keys under a delimiter into common prefixes (skipping each prefix's keys with one new
 * range read), and the token of the page's last entry. Tokens are opaque to clients: "P" or "F"
 * (common prefix or file) and the last key handed out.
 */
final class CommittedListing {

    private static final int COMMITTED = WcacheRecords.FileState.COMMITTED.getNumber();

    private final Tx t;
    private final ListRequest req;
    private final String prefix;
    private final String delimiter;
    private final int limit;
    /** Entries in key order: a {@link FileVersion} or a common prefix ({@code String}); one beyond the limit means more. */
    private final List<Object> entries = new ArrayList<>();
    private String low;
    /** Whether archive paths are listed: not for a listing of objects, unless its prefix is inside an archive. */
    private final boolean listsArchive;
    private boolean lowInclusive = true;

    CommittedListing(Tx t, ListRequest req) {
        this.t = t;
        this.req = req;
        this.prefix = req.prefix();
        this.delimiter = req.delimiter();
        this.limit = req.limit();
        this.low = prefix;
        this.listsArchive = !req.objectsOnly() || archiveDirectory(prefix) != null;
    }

    /**
     * The bucket archive directory ({@code /<bucket>/.wcache-versions/}) {@code path} is in, or null:
     * those paths are listed only by a listing whose prefix is inside the archive.
     */
    static String archiveDirectory(String path) {
        int slash = path.indexOf('/', 1);
        if (slash < 0 || !path.startsWith(ObjectVersions.RESERVED_SEGMENT, slash + 1)) {
            return null;
        }
        int end = slash + 1 + ObjectVersions.RESERVED_SEGMENT.length();
        return path.length() > end && path.charAt(end) == '/' ? path.substring(0, end + 1) : null;
    }

    ListPage page() {
        if (!startAfterRequest()) {
            return new ListPage(List.of(), List.of(), Optional.empty());
        }
        String high = prefix.isEmpty() ? null : successor(prefix);
        boolean more = true;
        while (more) {
            more = scanFromLow(high);
        }
        return toPage();
    }

    /**
     * Moves the start of the scan past {@code startAfter} and the continuation token; false when
     * the token's position has nothing after it. An unreadable token, or one from another listing,
     * is {@code InvalidArgument}.
     */
    private boolean startAfterRequest() {
        if (!req.startAfter().isEmpty() && NamespacePath.compareCodePoints(req.startAfter(), low) >= 0) {
            low = req.startAfter();
            lowInclusive = false;
        }
        if (req.continuation().isEmpty()) {
            return true;
        }
        String decoded = decodeToken(req.continuation().get());
        if (decoded.isEmpty() || (decoded.charAt(0) != 'P' && decoded.charAt(0) != 'F')
                || !decoded.substring(1).startsWith(prefix)) {
            throw new WcacheException.InvalidArgument("continuation", "continuation token is not valid for this listing");
        }
        String key = decoded.substring(1);
        boolean afterPrefix = decoded.charAt(0) == 'P';
        String resume = afterPrefix ? successor(key) : key;
        if (resume == null) {
            return false;
        }
        int cmp = NamespacePath.compareCodePoints(resume, low);
        if (cmp > 0 || (cmp == 0 && !afterPrefix)) {
            low = resume;
            lowInclusive = afterPrefix;
        }
        return true;
    }

    /**
     * Scans committed paths from {@code low} to {@code high}, adding files and common prefixes
     * until the page is one over full; true when it stopped at a common prefix and the scan must
     * go on after it.
     */
    private boolean scanFromLow(String high) {
        TupleRange range = new TupleRange(Tuple.from(COMMITTED, low),
                high == null ? Tuple.from(COMMITTED) : Tuple.from(COMMITTED, high),
                lowInclusive ? EndpointType.RANGE_INCLUSIVE : EndpointType.RANGE_EXCLUSIVE,
                high == null ? EndpointType.RANGE_INCLUSIVE : EndpointType.RANGE_EXCLUSIVE);
        try (RecordCursor<FDBIndexedRecord<Message>> cursor = t.store.scanIndexRecords(
                WcacheMetaData.FILE_BY_STATE_PATH, IndexScanType.BY_VALUE, range, null,
                limit(limit + 1 - entries.size()))) {
            RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
            while (it.hasNext()) {
                WcacheRecords.File f = as(it.next().getRecord(), WcacheRecords.File.getDefaultInstance());
                String archive = listsArchive ? null : archiveDirectory(f.getPath());
                if (archive != null) {
                    // A bucket's archived versions are never listed as objects: skip them all.
                    String next = successor(archive);
                    if (next == null) {
                        return false;
                    }
                    low = next;
                    lowInclusive = true;
                    return true;
                }
                String common = commonPrefix(f.getPath());
                if (common != null) {
                    entries.add(common);
                    String next = successor(common);
                    if (entries.size() > limit || next == null) {
                        return false;
                    }
                    // Skip every key under this common prefix with one new range read.
                    low = next;
                    lowInclusive = true;
                    return true;
                }
                entries.add(RecordMapping.file(f));
                if (entries.size() > limit) {
                    return false;
                }
            }
        }
        return false;
    }

    /** The common prefix {@code path} rolls up into under the delimiter, or null when it is listed itself. */
    private String commonPrefix(String path) {
        if (delimiter.isEmpty()) {
            return null;
        }
        int i = path.indexOf(delimiter, prefix.length());
        return i < 0 ? null : path.substring(0, i + delimiter.length());
    }

    private ListPage toPage() {
        Optional<String> token = Optional.empty();
        if (entries.size() > limit) {
            entries.remove(entries.size() - 1);
            Object last = entries.get(entries.size() - 1);
            token = Optional.of(last instanceof String s ? encodeToken(true, s)
                    : encodeToken(false, ((FileVersion) last).path().toString()));
        }
        List<FileVersion> files = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        for (Object e : entries) {
            if (e instanceof String s) {
                prefixes.add(s);
            } else {
                files.add((FileVersion) e);
            }
        }
        return new ListPage(files, prefixes, token);
    }

    private static String decodeToken(String token) {
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    /** Listing position: the last key handed out, a file path or a common prefix. */
    private static String encodeToken(boolean commonPrefix, String key) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(((commonPrefix ? "P" : "F") + key).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The smallest string greater than every string that starts with {@code s}, in code-point
     * (UTF-8 byte) order; null if there is none.
     */
    static String successor(String s) {
        int[] cps = s.codePoints().toArray();
        int n = cps.length;
        while (n > 0) {
            int c = cps[n - 1];
            if (c < Character.MAX_CODE_POINT) {
                int next = c + 1;
                if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) {
                    next = Character.MAX_SURROGATE + 1;
                }
                cps[n - 1] = next;
                return new String(cps, 0, n);
            }
            n--;
        }
        return null;
    }
}
