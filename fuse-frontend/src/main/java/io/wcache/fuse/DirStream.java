package io.wcache.fuse;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.path.NamespacePath;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One open directory being read: {@code .}, {@code ..}, the names known only to this mount
 * (empty directories made here, files still being written), then the merged listing of the
 * cache, fetched one page at a time so a large directory is streamed, never held whole. Entry
 * ordinals are the readdir offsets; a seek backwards restarts the stream and skips forward.
 * Guarded by its own monitor (the kernel may read one directory handle from several threads).
 */
final class DirStream {

    static final int PAGE_SIZE = 1000;

    private final CacheService cache;
    /** The directory, or null for the root of the mount (whose entries are the mounts). */
    private final NamespacePath dir;
    private final List<String> localNames;

    private long position;
    private Iterator<String> pending;
    private String lookahead;
    private int stage;
    private Optional<String> continuation = Optional.empty();
    private boolean listingDone;
    /** The last name of the listing produced in this pass: pages are sorted, a group may straddle two. */
    private String lastListed;

    DirStream(CacheService cache, NamespacePath dir, Set<String> localNames) {
        this.cache = cache;
        this.dir = dir;
        List<String> sorted = new ArrayList<>(localNames);
        sorted.sort(NamespacePath::compareCodePoints);
        this.localNames = List.copyOf(sorted);
        restart();
    }

    private void restart() {
        position = 0;
        stage = 0;
        pending = List.of(".", "..").iterator();
        lookahead = null;
        continuation = Optional.empty();
        listingDone = false;
        lastListed = null;
    }

    /** Fills the kernel's buffer from ordinal {@code offset}; stops when it is full or the directory ends. */
    synchronized void fill(Sink sink, long offset) {
        if (offset < position) {
            restart();
        }
        while (position < offset) {
            if (next() == null) {
                return;
            }
        }
        while (true) {
            String name = peek();
            if (name == null) {
                return;
            }
            if (sink.accept(name, position + 1)) {
                return;
            }
            next();
        }
    }

    /** Receives one entry and the offset of the entry after it; answers whether the buffer is now full. */
    interface Sink {
        boolean accept(String name, long nextOffset);
    }

    private String peek() {
        if (lookahead == null) {
            lookahead = produce();
        }
        return lookahead;
    }

    private String next() {
        String n = peek();
        if (n != null) {
            lookahead = null;
            position++;
        }
        return n;
    }

    private String produce() {
        while (true) {
            if (pending.hasNext()) {
                String n = pending.next();
                if (stage == 2 && localNames.contains(n)) {
                    continue; // already emitted from the local names
                }
                return n;
            }
            if (stage == 0) {
                stage = 1;
                pending = localNames.iterator();
            } else if (stage == 1) {
                stage = 2;
                pending = List.<String>of().iterator();
            } else if (listingDone) {
                return null;
            } else {
                pending = fetchPage().iterator();
            }
        }
    }

    private List<String> fetchPage() {
        if (dir == null) {
            listingDone = true;
            List<String> names = new ArrayList<>();
            cache.mounts().mounts().forEach(m -> names.add(m.name()));
            return names;
        }
        String prefix = dir.depth() == 1 ? "" : dir.relativeToMount() + "/";
        ListResult page = WcacheFuseFs.join(cache.list(
                new ListQuery(dir.mountPath(), prefix, "/", "", PAGE_SIZE, continuation)));
        continuation = page.continuation();
        listingDone = continuation.isEmpty();
        // each entry is the first segment after the prefix, whatever trailing delimiters a prefix carries
        TreeSet<String> names = new TreeSet<>(NamespacePath::compareCodePoints);
        for (ObjectInfo o : page.objects()) {
            addFirstSegment(names, o.path().relativeToMount(), prefix);
        }
        for (String p : page.commonPrefixes()) {
            addFirstSegment(names, p, prefix);
        }
        if (lastListed != null) {
            names.headSet(lastListed, true).clear();
        }
        if (!names.isEmpty()) {
            lastListed = names.last();
        }
        return List.copyOf(names);
    }

    private static void addFirstSegment(Set<String> names, String key, String prefix) {
        if (key.length() <= prefix.length() || !key.startsWith(prefix)) {
            return;
        }
        String rest = key.substring(prefix.length());
        int slash = rest.indexOf('/');
        String name = slash < 0 ? rest : rest.substring(0, slash);
        if (!name.isEmpty()) {
            names.add(name);
        }
    }
}
