package io.wcache.fdb.embedded;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A half-open key range {@code [begin, end)} used for conflict detection. */
record KeyRange(byte[] begin, byte[] end) {
    private static final Comparator<KeyRange> BY_BEGIN = (a, b) -> Keys.compare(a.begin, b.begin);

    boolean intersects(KeyRange other) {
        return Keys.compare(begin, other.end) < 0 && Keys.compare(other.begin, end) < 0;
    }

    boolean isEmpty() {
        return Keys.compare(begin, end) >= 0;
    }

    static KeyRange single(byte[] key) {
        return new KeyRange(key, Keys.after(key));
    }

    /** Sorts and merges overlapping or touching ranges, dropping empty ones. */
    static List<KeyRange> coalesce(List<KeyRange> ranges) {
        if (ranges.isEmpty()) {
            return List.of();
        }
        List<KeyRange> sorted = new ArrayList<>(ranges);
        sorted.removeIf(KeyRange::isEmpty);
        sorted.sort(BY_BEGIN);
        List<KeyRange> out = new ArrayList<>(sorted.size());
        KeyRange current = null;
        for (KeyRange r : sorted) {
            if (current != null && Keys.compare(r.begin, current.end) <= 0) {
                current = new KeyRange(current.begin, Keys.max(current.end, r.end));
            } else {
                if (current != null) {
                    out.add(current);
                }
                current = r;
            }
        }
        if (current != null) {
            out.add(current);
        }
        return List.copyOf(out);
    }

    /** Whether two coalesced (sorted, disjoint) lists share a key; linear in their lengths. */
    static boolean anyIntersect(List<KeyRange> a, List<KeyRange> b) {
        int i = 0;
        int j = 0;
        while (i < a.size() && j < b.size()) {
            KeyRange x = a.get(i);
            KeyRange y = b.get(j);
            if (x.intersects(y)) {
                return true;
            }
            if (Keys.compare(x.end, y.end) <= 0) {
                i++;
            } else {
                j++;
            }
        }
        return false;
    }
}
