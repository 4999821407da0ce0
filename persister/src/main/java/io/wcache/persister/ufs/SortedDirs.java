package io.wcache.persister.ufs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;

/**
 * A local UFS directory's entries in S3 key order, and a small cache of them for large directories,
 * so that a listing paged through a directory of n files reads and sorts it once, not once per
 * page.
 *
 * <p>A cached order is used while the directory's modification time is unchanged: creating,
 * removing or renaming an entry sets it. It is cached only when that time was at least
 * {@link #SETTLED} old when the directory was read, so a change in the same clock tick as the read
 * (file-system timestamps are coarse) still moves the time on. Entries' attributes are never
 * cached: the walk reads those of each entry it lists.
 */
final class SortedDirs {

    /** Directories with fewer entries are read each time: sorting them costs less than keeping them. */
    static final int CACHED_MIN_ENTRIES = 1_000;
    static final int CACHED_DIRS = 32;
    /** Entries kept in all, so a few huge directories do not hold the heap (about 100-200 bytes each). */
    static final long CACHED_ENTRIES = 2_000_000;
    static final Duration SETTLED = Duration.ofSeconds(2);

    /** One directory entry: its name ("" for the directory's folder marker) and its sort key. */
    record Entry(String name, Path path, byte[] sortKey) {
    }

    /** A directory's entries, sorted by {@link Entry#sortKey()} (unsigned UTF-8 bytes). */
    static final class SortedDir {
        private static final SortedDir EMPTY = new SortedDir(new Entry[0]);
        private final Entry[] entries;

        private SortedDir(Entry[] entries) {
            this.entries = entries;
        }

        int size() {
            return entries.length;
        }

        Entry get(int i) {
            return entries[i];
        }

        /** The index of the first entry whose sort key is not below {@code name}'s. */
        int lowerBound(String name) {
            byte[] key = name.getBytes(StandardCharsets.UTF_8);
            int lo = 0;
            int hi = entries.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (Arrays.compareUnsigned(entries[mid].sortKey(), key) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    private record Cached(FileTime mtime, Object fileKey, SortedDir dir) {
    }

    private static final Comparator<Entry> BY_SORT_KEY = (a, b) -> Arrays.compareUnsigned(a.sortKey(), b.sortKey());

    /** Least recently used first. Guarded by itself, as is {@link #cachedEntries}. */
    private final LinkedHashMap<Path, Cached> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedEntries;

    /**
     * {@code dir}'s entries in key order: a directory sorts as {@code name/}. At the UFS root the
     * staging directory and a folder marker are not entries.
     */
    SortedDir read(Path dir, boolean isRoot) throws IOException {
        BasicFileAttributes before = LocalUnderFileSystem.attributesOrNull(dir, LinkOption.NOFOLLOW_LINKS);
        if (before == null) {
            return SortedDir.EMPTY;
        }
        synchronized (cache) {
            Cached c = cache.get(dir);
            if (c != null && c.mtime().equals(before.lastModifiedTime()) && Objects.equals(c.fileKey(), before.fileKey())) {
                return c.dir();
            }
        }
        SortedDir sorted = readSorted(dir, isRoot);
        BasicFileAttributes afterRead = LocalUnderFileSystem.attributesOrNull(dir, LinkOption.NOFOLLOW_LINKS);
        boolean settled = afterRead != null && afterRead.lastModifiedTime().equals(before.lastModifiedTime())
                && Objects.equals(afterRead.fileKey(), before.fileKey())
                && before.lastModifiedTime().toInstant().isBefore(Instant.now().minus(SETTLED));
        synchronized (cache) {
            Cached old = cache.remove(dir);
            if (old != null) {
                cachedEntries -= old.dir().size();
            }
            if (settled && sorted.size() >= CACHED_MIN_ENTRIES && sorted.size() <= CACHED_ENTRIES) {
                cache.put(dir, new Cached(before.lastModifiedTime(), before.fileKey(), sorted));
                cachedEntries += sorted.size();
                Iterator<Cached> eldest = cache.values().iterator();
                while (cache.size() > CACHED_DIRS || cachedEntries > CACHED_ENTRIES) {
                    cachedEntries -= eldest.next().dir().size();
                    eldest.remove();
                }
            }
        }
        return sorted;
    }

    /**
     * Reads the names and sorts them. Only a name that a sibling extends with a character below
     * {@code '/'} ({@code a} beside {@code a-1}) needs its type to be placed: those are stat'ed here.
     */
    private static SortedDir readSorted(Path dir, boolean isRoot) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (isRoot && name.equals(LocalUnderFileSystem.TEMP_DIR)) {
                    continue;
                }
                if (name.equals(LocalUnderFileSystem.FOLDER_MARKER_FILE)) {
                    if (!isRoot) {
                        // The directory's folder marker: its key is the directory's own, first in its order.
                        entries.add(new Entry("", p, new byte[0]));
                    }
                    continue;
                }
                entries.add(new Entry(name, p, name.getBytes(StandardCharsets.UTF_8)));
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return SortedDir.EMPTY;
        }
        entries.sort(BY_SORT_KEY);
        boolean retyped = false;
        for (int i = 0; i + 1 < entries.size(); i++) {
            Entry e = entries.get(i);
            String next = entries.get(i + 1).name();
            if (!e.name().isEmpty() && next.length() > e.name().length() && next.startsWith(e.name())
                    && next.charAt(e.name().length()) < '/') {
                BasicFileAttributes attrs = LocalUnderFileSystem.attributesOrNull(e.path(), LinkOption.NOFOLLOW_LINKS);
                if (attrs != null && attrs.isDirectory()) {
                    entries.set(i, new Entry(e.name(), e.path(), (e.name() + "/").getBytes(StandardCharsets.UTF_8)));
                    retyped = true;
                }
            }
        }
        if (retyped) {
            entries.sort(BY_SORT_KEY);
        }
        return new SortedDir(entries.toArray(new Entry[0]));
    }

}
