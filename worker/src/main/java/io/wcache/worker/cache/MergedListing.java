package io.wcache.worker.cache;

import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.persister.ufs.UfsKeys;
import io.wcache.persister.ufs.UfsListing;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.ListPage;
import io.wcache.schema.catalog.ListRequest;
import io.wcache.schema.catalog.Tombstone;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One page of a mount's listing, merging the Catalog with the UFS. The Catalog is authoritative
 * for what it knows: its versions are listed as they are, its tombstones hide deleted paths (and
 * common prefixes left holding only deleted paths), and a UFS key the Catalog has a version of is
 * not listed twice. Each source stops at a bound once it has more than a page; the page ends at
 * the lower of the two bounds, so no key the other source might still hold before it is skipped.
 * The continuation token is the last key handed out (a common prefix followed by U+FFFF).
 */
final class MergedListing {

    private static final int MAX_KEYS = 1000;
    /** A UFS common prefix is checked against at most this many tombstoned keys before it is shown. */
    private static final int TOMBSTONES_CHECKED_PER_PREFIX = 10_000;
    /** A common prefix in {@link #merged}. */
    private static final String PREFIX = "P";

    private final Catalog catalog;
    private final WorkerCacheService svc;
    private final ListQuery q;
    private final String base;
    private final int max;
    /** Key relative to the mount -> its {@link ObjectInfo}, or {@link #PREFIX} for a common prefix. */
    private final TreeMap<String, Object> merged = new TreeMap<>(NamespacePath::compareCodePoints);
    private String after;
    /** Past this key a source may hold keys not merged yet (null: it was listed to its end). */
    private String catalogBound;
    private String ufsBound;

    MergedListing(WorkerCacheService svc, Catalog catalog, ListQuery q) {
        this.svc = svc;
        this.catalog = catalog;
        this.q = q;
        this.base = q.mount().toString() + "/";
        this.max = Math.max(1, Math.min(q.maxKeys(), MAX_KEYS));
        this.after = q.startAfter();
    }

    ListResult page() {
        if (q.mount().depth() != 1) {
            throw new WcacheException.InvalidPath(q.mount().toString(), "a listing is of a mount: /<mount>");
        }
        svc.policies().mounts().resolve(q.mount());
        if (!UfsKeys.canPrefixValidKeys(q.prefix()) || ObjectVersions.isReservedKey(q.prefix())
                || q.prefix().startsWith(ObjectVersions.RESERVED_SEGMENT + "/")) {
            // No key the namespace holds starts with it (a leading '/', an empty or dot segment, the
            // bucket's reserved archive of versions): S3 lists nothing.
            return new ListResult(List.of(), List.of(), Optional.empty());
        }
        q.continuation().ifPresent(this::resumeAfter);
        mergeCatalogPage();
        mergeUfsPages(svc.ufsFor(q.mount().child("x")));
        return cut(min(catalogBound, ufsBound));
    }

    /**
     * Whether the Catalog holds a committed object (not a bucket's archived version) whose key
     * starts with {@code prefix} in {@code mount}, other than {@code ignored}: a listing of the
     * prefix shows it whatever the UFS holds.
     */
    static boolean catalogHoldsAny(Catalog catalog, NamespacePath mount, String prefix, Optional<NamespacePath> ignored) {
        if (!UfsKeys.canPrefixValidKeys(prefix) || ObjectVersions.isReservedKey(prefix)
                || prefix.startsWith(ObjectVersions.RESERVED_SEGMENT + "/")) {
            return false;
        }
        ListPage page = catalog.files().list(new ListRequest(mount + "/" + prefix, "", "", 2, Optional.empty()).objects());
        return page.files().stream().anyMatch(f -> ignored.isEmpty() || !f.path().equals(ignored.get()));
    }

    private void resumeAfter(String continuation) {
        String token;
        try {
            token = new String(Base64.getUrlDecoder().decode(continuation), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new WcacheException.InvalidArgument("continuation", "continuation token is not valid");
        }
        if (NamespacePath.compareCodePoints(token, after) > 0) {
            after = token;
        }
    }

    private void mergeCatalogPage() {
        ListPage page = catalog.files().list(new ListRequest(base + q.prefix(), q.delimiter(),
                after.isEmpty() ? "" : base + after, max, Optional.empty()).objects());
        for (FileVersion f : page.files()) {
            merged.put(f.path().relativeToMount(), ObjectInfos.of(f));
        }
        for (String p : page.commonPrefixes()) {
            // The Catalog's common prefixes end with the delimiter already.
            String rel = p.substring(base.length());
            merged.put(rel.endsWith(q.delimiter()) ? rel : rel + q.delimiter(), PREFIX);
        }
        if (page.truncated()) {
            catalogBound = merged.isEmpty() ? null : merged.lastKey();
        }
    }

    /**
     * Merges UFS listing pages, from the page's start on, until the UFS is listed to its end, or
     * past the Catalog's bound, or the entries merged up to the last UFS key fill the page. Keys the
     * Catalog holds too are already merged, so they do not count as UFS entries taken: the UFS is
     * read only as far as this page reaches, not once per page from the prefix's start.
     */
    private void mergeUfsPages(UnderFileSystem u) {
        String continuation = null;
        // A common prefix's token ends with U+FFFF: the UFS starts at the prefix itself and the
        // prefix's keys, which come back rolled up into it, are skipped as already listed.
        String startAfter = after.endsWith("\uffff") ? after.substring(0, after.length() - 1) : after;
        String tombstonesAfter = after;
        int pageKeys = Math.min(MAX_KEYS, merged.size() + max + 1);
        do {
            // The tombstones are read before the object store: a delete the persister finishes in
            // between is then gone from the object store's answer too (it drops the tombstone only
            // after the object store deleted the object). Read after, that object came back.
            TombstoneWindow tombstones = new TombstoneWindow(u, tombstonesAfter, pageKeys + 1);
            UfsListing l = u.list(q.prefix(), q.delimiter(), continuation == null ? startAfter : null, continuation,
                    pageKeys);
            mergeUfsPage(u, l, tombstones);
            continuation = l.nextContinuation();
            String last = lastKey(l);
            tombstonesAfter = last != null ? last : tombstonesAfter;
            if (continuation != null && last != null && (beyondCatalog(last)
                    || merged.headMap(last, true).size() >= max)) {
                ufsBound = last;
                break;
            }
        } while (continuation != null);
    }

    /** Whether {@code key} lies past the Catalog's part of this page (so past the page itself). */
    private boolean beyondCatalog(String key) {
        return catalogBound != null && NamespacePath.compareCodePoints(key, catalogBound) > 0;
    }

    /**
     * Merges the UFS objects the Catalog knows nothing of, and the UFS common prefixes that still
     * hold an object, hiding what pending deletes (tombstones) remove: one read of the tombstones,
     * made before the page was listed, serves the whole UFS page, not one look-up per key or prefix.
     */
    private void mergeUfsPage(UnderFileSystem u, UfsListing l, TombstoneWindow tombstones) {
        List<Map.Entry<UfsObject, NamespacePath>> objects = new ArrayList<>();
        for (UfsObject o : l.objects()) {
            if (NamespacePath.compareCodePoints(o.key(), after) <= 0 || merged.containsKey(o.key())
                    || beyondCatalog(o.key())) {
                continue;
            }
            // Up to the Catalog's bound its page listed every version it holds, so a key missing from
            // it has none, or gained one since (a read-through load that just committed): the
            // object exists either way. A tombstone hides a key the UFS still holds.
            pathOf(o.key()).ifPresent(path -> objects.add(Map.entry(o, path)));
        }
        List<String> prefixes = new ArrayList<>();
        for (String cp : l.commonPrefixes()) {
            if (NamespacePath.compareCodePoints(cp, after) > 0 && !merged.containsKey(cp) && !beyondCatalog(cp)
                    && !ObjectVersions.isReservedKey(cp)) {
                prefixes.add(cp);
            }
        }
        if (objects.isEmpty() && prefixes.isEmpty()) {
            return;
        }
        for (Map.Entry<UfsObject, NamespacePath> o : objects) {
            if (!tombstones.hides(o.getKey().key(), o.getValue())) {
                merged.put(o.getKey().key(), svc.ufsInfo(o.getValue(), o.getKey()));
            }
        }
        for (String cp : prefixes) {
            if (tombstones.noneUnder(cp) || ufsPrefixVisible(u, cp)) {
                merged.put(cp, PREFIX);
            }
        }
    }

    /**
     * The listed prefix's tombstones after a key, in key order, as far as one read of at most
     * {@code limit} of them reached. Past its end (the UFS deletes of a large delete still pending)
     * a key is looked up on its own, and a common prefix is left to {@link #ufsPrefixVisible}.
     */
    private final class TombstoneWindow {
        private final UnderFileSystem u;
        /** Keys relative to the mount. */
        private final List<String> keys = new ArrayList<>();
        /** The last key read when the read stopped at its limit; null when it read them all. */
        private final String end;

        TombstoneWindow(UnderFileSystem u, String after, int limit) {
            this.u = u;
            for (Tombstone t : catalog.files().tombstones(base + q.prefix(), after.isEmpty() ? "" : base + after, limit)) {
                keys.add(t.path().toString().substring(base.length()));
            }
            end = keys.size() < limit ? null : keys.get(keys.size() - 1);
        }

        /** Whether a pending delete hides the UFS object {@code key} (at {@code path}). */
        boolean hides(String key, NamespacePath path) {
            if (end != null && NamespacePath.compareCodePoints(key, end) > 0) {
                return !stillInUfs(u, key, path);
            }
            return Collections.binarySearch(keys, key, NamespacePath::compareCodePoints) >= 0;
        }

        /** Whether no pending delete lies under common prefix {@code cp}, as far as this read tells. */
        boolean noneUnder(String cp) {
            if (end != null && (NamespacePath.compareCodePoints(end, cp) <= 0 || end.startsWith(cp))) {
                return false; // the read stopped before the end of this prefix
            }
            int i = Collections.binarySearch(keys, cp, NamespacePath::compareCodePoints);
            int at = i >= 0 ? i : -i - 1;
            return at == keys.size() || !keys.get(at).startsWith(cp);
        }
    }

    /** The path of a UFS key, if the namespace can hold it and it is not a bucket's archived version. */
    private Optional<NamespacePath> pathOf(String key) {
        if (ObjectVersions.isReservedKey(key)) {
            return Optional.empty();
        }
        try {
            return Optional.of(NamespacePath.of(base + key));
        } catch (WcacheException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a common prefix that only the UFS shows still holds an object that no tombstone
     * hides: right after a recursive delete, the UFS keeps the objects until the persister's
     * deletes catch up, and the prefix must not reappear meanwhile (read-after-delete). Bounded:
     * past {@value #TOMBSTONES_CHECKED_PER_PREFIX} tombstoned keys the prefix is shown until the
     * deletes are done.
     */
    private boolean ufsPrefixVisible(UnderFileSystem u, String commonPrefix) {
        if (catalog.files().tombstones(base + commonPrefix, "", 1).isEmpty()) {
            // Its deletes ended since the page's tombstones were read: what the store holds now decides.
            return !u.list(commonPrefix, "", null, 1).objects().isEmpty();
        }
        String continuation = null;
        int seen = 0;
        do {
            UfsListing l = u.list(commonPrefix, "", continuation, MAX_KEYS);
            for (UfsObject o : l.objects()) {
                Optional<NamespacePath> p = pathOf(o.key());
                if (p.isEmpty()) {
                    continue;
                }
                if (stillInUfs(u, o.key(), p.get()) || ++seen >= TOMBSTONES_CHECKED_PER_PREFIX) {
                    return true;
                }
            }
            continuation = l.nextContinuation();
        } while (continuation != null);
        return false;
    }

    /**
     * Whether the UFS object {@code key} that a listing returned is still there, no pending delete
     * hiding it: looked up after that listing, its tombstone may be gone because the persister
     * deleted the object since, so an object without one is checked in the store again.
     */
    private boolean stillInUfs(UnderFileSystem u, String key, NamespacePath path) {
        return catalog.files().tombstone(path).isEmpty() && u.head(key).isPresent();
    }

    /** The page: merged entries up to {@code bound} and at most {@code max}, with a token when more follow. */
    private ListResult cut(String bound) {
        List<ObjectInfo> objects = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        String last = null;
        boolean more = bound != null;
        for (Map.Entry<String, Object> e : merged.entrySet()) {
            if ((bound != null && NamespacePath.compareCodePoints(e.getKey(), bound) > 0)
                    || objects.size() + prefixes.size() >= max) {
                more = true;
                break;
            }
            if (e.getValue() instanceof ObjectInfo o) {
                objects.add(o);
            } else {
                prefixes.add(e.getKey());
            }
            last = e.getKey();
        }
        Optional<String> token = more && last != null
                ? Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(
                        (prefixes.contains(last) ? last + "\uffff" : last).getBytes(StandardCharsets.UTF_8)))
                : Optional.empty();
        return new ListResult(objects, prefixes, token);
    }

    private static String lastKey(UfsListing l) {
        String a = l.objects().isEmpty() ? null : l.objects().get(l.objects().size() - 1).key();
        String b = l.commonPrefixes().isEmpty() ? null : l.commonPrefixes().get(l.commonPrefixes().size() - 1);
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return NamespacePath.compareCodePoints(a, b) > 0 ? a : b;
    }

    private static String min(String a, String b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return NamespacePath.compareCodePoints(a, b) <= 0 ? a : b;
    }
}
