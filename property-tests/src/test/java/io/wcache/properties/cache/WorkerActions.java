package io.wcache.properties.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.segment.SegmentFormat;
import io.wcache.properties.cache.Model.Version;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.stateful.Action;

/**
 * The actions of the stateful property. Each is a small record whose {@code toString()} reads as
 * a step, so a shrunk failing sequence reads as a script. Each runs against the worker child,
 * checks the reply against the {@link Model}, and updates the model.
 */
final class WorkerActions {

    private WorkerActions() {
    }

    private static String via(boolean viaS3) {
        return viaS3 ? "S3 " : "";
    }

    private static String kind(String reply) {
        return reply.startsWith("ERR ") ? reply.split(" ")[1] : "OK";
    }

    /** A put: acknowledged -> the only version; refused -> unchanged; unknown -> one more candidate. */
    record Put(String key, int size, long seed, boolean viaS3) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            WritePolicy policy = m.policyOf(key);
            Version v = new Version(seed, size, policy);
            String r = s.send("PUT " + key + " " + size + " " + seed, viaS3);
            applyPut(m, key, v, r);
            return s;
        }

        @Override
        public String toString() {
            return via(viaS3) + "put " + key + " " + size + "B seed=" + seed;
        }
    }

    static void applyPut(Model m, String key, Version v, String r) {
        WritePolicy policy = v.policy();
        switch (kind(r)) {
            case "OK" -> {
                assertThat(policy).as("a READ_ONLY write was acknowledged: %s", r).isNotEqualTo(WritePolicy.READ_ONLY);
                assertThat(r.split(" ")[1]).as("ETag of %s", v).isEqualTo(v.etag());
                m.set(key, v);
            }
            case "READ_ONLY" -> assertThat(policy).as(r).isEqualTo(WritePolicy.READ_ONLY);
            case "OUT_OF_SPACE" -> assertThat(policy).as("only pinned writes are refused for space: %s", r)
                    .isIn(WritePolicy.WRITE_BACK, WritePolicy.TRANSIENT);
            case "UNAVAILABLE" -> {
                assertThat(m.ufsDown).as("UNAVAILABLE with the UFS up: %s", r).isTrue();
                assertThat(policy).as(r).isEqualTo(WritePolicy.WRITE_THROUGH);
                m.addCandidate(key, v);
            }
            default -> fail("put %s: unexpected reply %s", key, r);
        }
    }

    /** A multipart upload through the S3 endpoint: one or two parts; visible only once completed. */
    record MultipartPut(String key, int size, long seed) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            Version v = new Version(seed, size, m.policyOf(key), true);
            String r = s.send("MPUT " + key + " " + size + " " + seed, true);
            applyPut(m, key, v, r);
            return s;
        }

        @Override
        public String toString() {
            return "S3 multipart put " + key + " " + size + "B seed=" + seed;
        }
    }

    /**
     * A multipart upload whose parts are all acknowledged, then the worker is killed (SIGKILL) and
     * restarted, then the upload is completed: the parts survived, the completion answers the
     * multipart ETag of the whole body and the object reads back as the model says.
     */
    record MultipartAcrossCrash(String key, int size, long seed) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            Version v = new Version(seed, size, m.policyOf(key), true);
            String parts = s.send("MPARTS " + key + " " + size + " " + seed, true);
            if (!parts.startsWith("OK ")) {
                applyPut(m, key, v, parts);
                return s;
            }
            s.crashAndRestart();
            String[] f = parts.split(" ");
            String r = s.send("MCOMPLETE " + key + " " + f[1] + " " + f[2], true);
            assertThat(r).as("completing %s after a restart", key).doesNotContain("NoSuchUpload", "InvalidPart");
            applyPut(m, key, v, r);
            return s;
        }

        @Override
        public String toString() {
            return "S3 multipart parts " + key + " " + size + "B seed=" + seed + ", SIGKILL worker and restart, complete";
        }
    }

    /**
     * Writes 1.5 MiB objects to the WRITE_BACK and TRANSIENT keys (12 MiB in all, past the 8 MiB
     * pinned cap) until one is refused: a refusal must come, be OUT_OF_SPACE, and harm nothing.
     */
    record ExhaustPinned(long seed) implements Action<WorkerSystem> {
        static final int SIZE = 1536 * 1024;

        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            boolean refused = false;
            int i = 0;
            for (String prefix : List.of("wb", "tr")) {
                for (String name : List.of("a", "b", "c/d", "c/e")) {
                    if (refused) {
                        break;
                    }
                    String key = prefix + "/" + name;
                    Version v = new Version(seed + i++, SIZE, m.policyOf(key));
                    String r = s.send("PUT " + key + " " + SIZE + " " + v.seed());
                    applyPut(m, key, v, r);
                    refused = kind(r).equals("OUT_OF_SPACE");
                }
            }
            assertThat(refused).as("12 MiB of pinned writes against an 8 MiB cap were all accepted").isTrue();
            return s;
        }

        @Override
        public String toString() {
            return "exhaust pinned space (1.5 MiB puts to wb/* and tr/*, seeds from " + seed + ")";
        }
    }

    /** Several writers race on one key; the last to commit wins, the key never shows a mix. */
    record ConcurrentPuts(String key, int size, List<Long> seeds) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            WritePolicy policy = m.policyOf(key);
            List<String> seedText = seeds.stream().map(String::valueOf).toList();
            String r = WorkerSystem.expectOk(s.send("CPUT " + key + " " + size + " " + String.join(",", seedText)));
            Set<Version> won = new LinkedHashSet<>();
            Set<Version> unknown = new LinkedHashSet<>();
            for (String one : r.substring(3).split(",")) {
                String[] p = one.split(":");
                Version v = new Version(Long.parseLong(p[0]), size, policy);
                switch (p[1]) {
                    case "OK" -> won.add(v);
                    case "ERR-READ_ONLY" -> assertThat(policy).isEqualTo(WritePolicy.READ_ONLY);
                    case "ERR-OUT_OF_SPACE" -> assertThat(policy).isIn(WritePolicy.WRITE_BACK, WritePolicy.TRANSIENT);
                    case "ERR-UNAVAILABLE" -> {
                        assertThat(m.ufsDown).as(r).isTrue();
                        unknown.add(v);
                    }
                    default -> fail("concurrent put %s: unexpected %s", key, one);
                }
            }
            if (!won.isEmpty()) {
                m.keys.put(key, new LinkedHashSet<>(won));
                m.damaged.remove(key);
                if (policy == WritePolicy.WRITE_BACK) {
                    m.unpersisted.add(key);
                } else {
                    m.unpersisted.remove(key);
                }
            }
            unknown.forEach(v -> m.addCandidate(key, v));
            return s;
        }

        @Override
        public String toString() {
            return "concurrent puts " + key + " " + size + "B seeds=" + seeds;
        }
    }

    /** Whole or ranged read: the bytes are exactly one candidate's, and the candidates narrow to it. */
    record Get(String key, double from, double to, boolean viaS3) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            observe(s, key, from, to, viaS3);
            return s;
        }

        @Override
        public String toString() {
            return via(viaS3) + (from == 0 && to == 1 ? "get " + key : String.format("get %s range [%.2f, %.2f]", key, from, to));
        }
    }

    static void observe(WorkerSystem s, String key, double from, double to) {
        observe(s, key, from, to, false);
    }

    static void observe(WorkerSystem s, String key, double from, double to, boolean viaS3) {
        Model m = s.model;
        Set<Version> cands = m.candidates(key);
        // The range is chosen from the largest candidate; each candidate is checked against the same range.
        int size = cands.stream().mapToInt(Version::size).max().orElse(0);
        int off = (int) (from * size);
        int len = (from == 0 && to == 1) ? -1 : Math.max(0, (int) (to * size) - off);
        String r = s.send("GET " + key + " " + off + " " + len, viaS3);
        switch (kind(r)) {
            case "OK" -> {
                String[] p = r.split(" ");
                long gotSize = Long.parseLong(p[1]);
                String md5 = p[2];
                Version match = null;
                for (Version v : cands) {
                    if (v.absent() || v.size() != gotSize) {
                        continue;
                    }
                    byte[] b = v.bytes();
                    int start = (int) Math.min(off, b.length);
                    int n = len < 0 ? b.length - start : Math.min(len, b.length - start);
                    if (Bodies.md5(b, start, n).equals(md5)) {
                        match = v;
                    }
                }
                if (match == null) {
                    fail("get %s [%d+%d] returned %d bytes (md5 %s) that match none of %s", key, off, len, gotSize, md5, cands);
                }
                narrow(m, key, match);
            }
            case "NOT_FOUND" -> {
                assertThat(cands).as("get %s is NOT_FOUND but the model holds %s", key, cands).contains(Version.ABSENT);
                narrow(m, key, Version.ABSENT);
            }
            case "UNAVAILABLE" -> assertThat(m.ufsDown).as("get %s: %s with the UFS up", key, r).isTrue();
            case "CORRUPTION" -> {
                assertThat(m.damaged).as("get %s failed as damaged: %s (model %s)", key, r, m).containsKey(key);
                assertThat(r).as("the error says the object is damaged").contains("damaged");
            }
            // Through S3 a damaged object is a 500 InternalError (the S3 error table's corruption row).
            case "S3-InternalError" -> assertThat(m.damaged).as("get %s: %s (model %s)", key, r, m).containsKey(key);
            default -> fail("get %s: unexpected %s", key, r);
        }
    }

    /** The key was seen showing {@code seen}: that is its version now. */
    private static void narrow(Model m, String key, Version seen) {
        Set<Version> cands = m.candidates(key);
        if (m.readOnly.containsKey(key) || cands.size() == 1) {
            return;
        }
        if (seen.equals(cands.iterator().next())) {
            // The version the model held before the uncertain write: its persist state is unchanged.
            m.keys.put(key, new LinkedHashSet<>(List.of(seen)));
        } else {
            m.set(key, seen);
        }
    }

    record Head(String key, boolean viaS3) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Set<Version> cands = s.model.candidates(key);
            String r = s.send("HEAD " + key, viaS3);
            switch (kind(r)) {
                case "OK" -> {
                    String[] p = r.split(" ");
                    boolean any = cands.stream().anyMatch(v -> !v.absent() && v.size() == Long.parseLong(p[1])
                            && v.etag().equals(p[2]));
                    assertThat(any).as("head %s = %s matches one of %s", key, r, cands).isTrue();
                }
                case "NOT_FOUND" -> assertThat(cands).as("head %s NOT_FOUND", key).contains(Version.ABSENT);
                case "UNAVAILABLE" -> assertThat(s.model.ufsDown).as(r).isTrue();
                default -> fail("head %s: unexpected %s", key, r);
            }
            return s;
        }

        @Override
        public String toString() {
            return via(viaS3) + "head " + key;
        }
    }

    record Delete(List<String> keys, boolean viaS3) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            if (viaS3 && keys.size() > 1) {
                deleteObjects(s);
                return s;
            }
            for (String key : keys) {
                Set<Version> cands = m.candidates(key);
                String r = s.send("DEL " + key, viaS3);
                switch (kind(r)) {
                    case "OK" -> {
                        assertThat(m.policyOf(key)).isNotEqualTo(WritePolicy.READ_ONLY);
                        String said = r.split(" ")[1];
                        boolean existed = Boolean.parseBoolean(said);
                        if (said.equals("unknown")) {
                            // S3's DeleteObject does not say whether the key existed.
                        } else if (existed) {
                            assertThat(cands.stream().anyMatch(v -> !v.absent())).as("delete %s says it existed; model %s", key, cands).isTrue();
                        } else {
                            assertThat(cands).as("delete %s says it did not exist; model %s", key, cands).contains(Version.ABSENT);
                        }
                        m.set(key, Version.ABSENT);
                    }
                    case "READ_ONLY" -> assertThat(m.policyOf(key)).isEqualTo(WritePolicy.READ_ONLY);
                    case "UNAVAILABLE" -> {
                        assertThat(m.ufsDown).as(r).isTrue();
                        m.addCandidate(key, Version.ABSENT);
                    }
                    default -> fail("delete %s: unexpected %s", key, r);
                }
            }
            return s;
        }

        /** S3 DeleteObjects: one request; READ_ONLY keys fail alone, the others are deleted. */
        private void deleteObjects(WorkerSystem s) {
            Model m = s.model;
            String r = s.send("DELS " + String.join(",", keys), true);
            boolean anyReadOnly = keys.stream().anyMatch(k -> m.policyOf(k) == WritePolicy.READ_ONLY);
            switch (kind(r)) {
                case "OK" -> assertThat(anyReadOnly).as("delete objects of READ_ONLY keys succeeded").isFalse();
                case "READ_ONLY" -> assertThat(anyReadOnly).as(r).isTrue();
                case "UNAVAILABLE" -> assertThat(m.ufsDown).as(r).isTrue();
                default -> fail("delete objects %s: unexpected %s", keys, r);
            }
            for (String k : keys) {
                if (m.policyOf(k) == WritePolicy.READ_ONLY) {
                    continue;
                }
                if (kind(r).equals("OK")) {
                    m.set(k, Version.ABSENT);
                } else {
                    m.addCandidate(k, Version.ABSENT);
                }
            }
        }

        @Override
        public String toString() {
            return via(viaS3) + (keys.size() == 1 ? "delete " : "delete objects ") + String.join(" ", keys);
        }
    }

    /** A complete listing through pages of {@code pageSize}: sorted, no duplicates, equal to the model. */
    record ListKeys(String prefix, String delimiter, int pageSize, boolean viaS3) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            String r = s.send("LIST " + (prefix.isEmpty() ? "-" : prefix) + " " + (delimiter.isEmpty() ? "-" : delimiter)
                    + " " + pageSize, viaS3);
            if (kind(r).equals("UNAVAILABLE") && m.ufsDown) {
                return s;
            }
            WorkerSystem.expectOk(r);
            String body = r.substring(3);
            String[] parts = body.split("\\|", -1);
            List<String> objects = parts[0].isEmpty() ? List.of() : Arrays.asList(parts[0].split(","));
            List<String> prefixes = parts[1].isEmpty() ? List.of() : Arrays.asList(parts[1].split(","));
            assertThat(objects).as("objects sorted, no duplicates").isSortedAccordingTo(String::compareTo)
                    .doesNotHaveDuplicates();
            assertThat(prefixes).as("prefixes sorted, no duplicates").isSortedAccordingTo(String::compareTo)
                    .doesNotHaveDuplicates();
            Set<String> expectedObjects = new TreeSet<>();
            Set<String> possibleObjects = new TreeSet<>();
            Set<String> expectedPrefixes = new TreeSet<>();
            Set<String> possiblePrefixes = new TreeSet<>();
            for (Map.Entry<String, Boolean> e : m.possibleKeys().entrySet()) {
                String k = e.getKey();
                if (!k.startsWith(prefix)) {
                    continue;
                }
                int d = delimiter.isEmpty() ? -1 : k.indexOf(delimiter, prefix.length());
                if (d >= 0) {
                    String cp = k.substring(0, d + delimiter.length());
                    possiblePrefixes.add(cp);
                    if (e.getValue()) {
                        expectedPrefixes.add(cp);
                    }
                } else {
                    possibleObjects.add(k);
                    if (e.getValue()) {
                        expectedObjects.add(k);
                    }
                }
            }
            assertThat(objects).as("listed objects under '%s' '%s' (model %s)", prefix, delimiter, m)
                    .containsAll(expectedObjects);
            assertThat(possibleObjects).as("listed objects under '%s' '%s' (model %s)", prefix, delimiter, m)
                    .containsAll(objects);
            assertThat(prefixes).as("common prefixes under '%s' '%s'", prefix, delimiter).containsAll(expectedPrefixes);
            assertThat(possiblePrefixes).as("common prefixes under '%s' '%s'", prefix, delimiter).containsAll(prefixes);
            return s;
        }

        @Override
        public String toString() {
            return via(viaS3) + "list prefix='" + prefix + "' delimiter='" + delimiter + "' page=" + pageSize;
        }
    }

    /** Flips the policy of {@code flip/} between WRITE_BACK and WRITE_THROUGH; later writes follow it. */
    record SetFlipPolicy(WritePolicy policy) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            WorkerSystem.expectOk(s.send("POLICY flip " + policy));
            s.model.flipPolicy = policy;
            return s;
        }

        @Override
        public String toString() {
            return "path config flip/ -> " + policy;
        }
    }

    record Crash() implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            s.crashAndRestart();
            return s;
        }

        @Override
        public String toString() {
            return "SIGKILL worker and restart";
        }
    }

    /** A write in flight when the worker is killed: afterwards the key shows the old or the new version, whole. */
    record CrashDuringPut(String key, int size, long seed, int delayMillis) implements Action<WorkerSystem> {
        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            s.crashDuringPut(key, size, seed, delayMillis);
            WritePolicy policy = m.policyOf(key);
            if (policy != WritePolicy.READ_ONLY) {
                m.addCandidate(key, new Version(seed, size, policy));
            }
            observe(s, key, 0, 1);
            return s;
        }

        @Override
        public String toString() {
            return "SIGKILL worker " + delayMillis + "ms into put " + key + " " + size + "B seed=" + seed + ", restart";
        }
    }

    record UfsOutage(boolean start) implements Action<WorkerSystem> {
        @Override
        public boolean precondition(WorkerSystem s) {
            return s.model.ufsDown != start;
        }

        @Override
        public WorkerSystem run(WorkerSystem s) {
            try {
                if (start) {
                    s.s3.stop();
                } else {
                    s.s3.restart();
                }
            } catch (Exception e) {
                throw new AssertionError("S3 server " + (start ? "stop" : "restart") + " failed", e);
            }
            s.model.ufsDown = start;
            return s;
        }

        @Override
        public String toString() {
            return start ? "UFS outage starts" : "UFS outage ends";
        }
    }

    /**
     * Lets the persister drain, then compares the UFS with the model: persisted paths equal it,
     * TRANSIENT data is absent, READ_ONLY data unchanged.
     */
    record Drain() implements Action<WorkerSystem> {
        @Override
        public boolean precondition(WorkerSystem s) {
            return !s.model.ufsDown;
        }

        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            for (String key : new ArrayList<>(m.keys.keySet())) {
                if (m.candidates(key).size() > 1) {
                    observe(s, key, 0, 1);
                }
            }
            String r = WorkerSystem.expectOk(s.send("DRAIN 40"));
            assertThat(r).as("persist queue drained").isEqualTo("OK 0");
            // A damaged version never uploads: its key keeps what the UFS held when the damage happened.
            m.unpersisted.retainAll(m.damaged.keySet());
            Map<String, String> ufs = s.ufsObjects();
            Map<String, String> expected = new java.util.TreeMap<>();
            m.readOnly.forEach((k, v) -> expected.put(k, Bodies.md5(v.bytes())));
            m.keys.forEach((k, c) -> {
                Version v = c.iterator().next();
                if (m.damaged.containsKey(k)) {
                    if (m.damaged.get(k) != null) {
                        expected.put(k, m.damaged.get(k));
                    }
                } else if (!v.absent() && v.policy() != WritePolicy.TRANSIENT) {
                    expected.put(k, Bodies.md5(v.bytes()));
                }
            });
            Map<String, String> unexpectedTransient = new java.util.TreeMap<>(ufs);
            unexpectedTransient.keySet().removeIf(k -> !k.startsWith("tr/"));
            assertThat(unexpectedTransient).as("TRANSIENT data in the UFS").isEmpty();
            // Keys last written TRANSIENT under flip/ never happen (flip is WB/WT only); other persisted
            // paths must equal the model exactly.
            assertThat(ufs).as("UFS after drain (model %s)", m).isEqualTo(expected);
            return s;
        }

        @Override
        public String toString() {
            return "drain the persister and compare the UFS";
        }
    }

    /** Deletes every key, drains, and expects no pinned bytes left. */
    record DeleteEverything() implements Action<WorkerSystem> {
        @Override
        public boolean precondition(WorkerSystem s) {
            return !s.model.ufsDown;
        }

        @Override
        public WorkerSystem run(WorkerSystem s) {
            new Delete(new ArrayList<>(s.model.keys.keySet()), false).run(s);
            new Drain().run(s);
            String[] st = WorkerSystem.expectOk(s.send("STATS")).split(" ");
            assertThat(Long.parseLong(st[1])).as("pinned bytes once everything is deleted").isZero();
            return s;
        }

        @Override
        public String toString() {
            return "delete everything, drain, expect zero pinned bytes";
        }
    }

    /**
     * Corruption: the worker is stopped, one byte inside the payload of one record of a key's
     * current version is flipped in its segment file, and the worker is started again. The key is
     * picked at run time among the keys holding one known, non-empty version ({@code pick} is a
     * fraction of that list), as are the record and the byte. Afterwards: a persisted version reads
     * back whole (from the UFS); an unpersisted one is damaged (reads fail saying so, never an
     * older version, never not-found); every other object reads back unchanged; restart recovery
     * changed nothing in the UFS.
     */
    record Corrupt(double pick, double record, double at, byte xor) implements Action<WorkerSystem> {
        @Override
        public boolean precondition(WorkerSystem s) {
            return !s.model.ufsDown;
        }

        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            List<String> eligible = m.keys.entrySet().stream()
                    .filter(e -> e.getValue().size() == 1 && !e.getValue().iterator().next().absent()
                            && e.getValue().iterator().next().size() > 0 && !m.damaged.containsKey(e.getKey()))
                    .map(Map.Entry::getKey).toList();
            if (eligible.isEmpty()) {
                return s;
            }
            String key = eligible.get(Math.min(eligible.size() - 1, (int) (pick * eligible.size())));
            Version v = m.candidates(key).iterator().next();
            String located = WorkerSystem.expectOk(s.send("LOCATE " + key)).substring(2).trim();
            if (located.isEmpty()) {
                // Every record of the version was evicted: there is nothing in the cache to damage.
                return s;
            }
            String[] records = located.split(",");
            String[] r = records[Math.min(records.length - 1, (int) (record * records.length))].split(":");
            long segment = Long.parseLong(r[0]);
            long length = Long.parseLong(r[2]);
            long offset = Long.parseLong(r[1]) + SegmentFormat.RECORD_HEADER_SIZE + Math.min(length - 1, (long) (at * length));
            boolean persisted = v.policy() == WritePolicy.WRITE_THROUGH
                    || (v.policy() == WritePolicy.WRITE_BACK && !m.unpersisted.contains(key));
            Map<String, String> ufsBefore = s.ufsObjects();
            s.stopAndRestart(() -> SegmentFiles.flip(SegmentFiles.of(s.cacheDir(), segment), offset, xor));
            if (WorkerSystem.TRACE) {
                System.err.printf("corrupted %s (%s, %s) at segment %d offset %d%n", key, v,
                        persisted ? "persisted" : "unpersisted", segment, offset);
            }
            assertThat(s.ufsObjects()).as("restart recovery changed nothing in the UFS").isEqualTo(ufsBefore);
            if (!persisted) {
                m.damaged.put(key, ufsBefore.get(key));
            }
            for (String k : new ArrayList<>(m.keys.keySet())) {
                observe(s, k, 0, 1);
            }
            for (String k : m.readOnly.keySet()) {
                observe(s, k, 0, 1);
            }
            return s;
        }

        @Override
        public String toString() {
            return String.format("stop worker, flip a payload byte (xor %02x) of key #%.2f record #%.2f at %.2f, start",
                    xor, pick, record, at);
        }
    }

    /**
     * Cache pressure: 2 MiB WRITE_THROUGH fillers past the cache's high watermark (interleaved
     * with 1 MiB pinned writes to the model's WRITE_BACK and TRANSIENT keys through S3, which may
     * be refused with SlowDown), an eviction and compaction pass, the fillers deleted, another
     * pass. Eviction and compaction must both have run, and every object of the model reads back
     * as the model says.
     */
    record CachePressure(long seed) implements Action<WorkerSystem> {
        static final int FILLER = 2 << 20;
        static final int FILLERS = 16;
        static final int PINNED = 1 << 20;

        @Override
        public boolean precondition(WorkerSystem s) {
            return !s.model.ufsDown;
        }

        @Override
        public WorkerSystem run(WorkerSystem s) {
            Model m = s.model;
            long[] before = counters(s.send("RECLAIMS"));
            List<String> pinnedKeys = List.of("wb/a", "tr/b", "wb/c/d", "tr/c/e");
            for (int i = 0; i < FILLERS; i++) {
                WorkerSystem.expectOk(s.send("PUT wt/pressure/" + i + " " + FILLER + " " + (seed + i)));
                if (i % 4 == 3) {
                    String key = pinnedKeys.get(i / 4);
                    Version v = new Version(seed + 100 + i, PINNED, m.policyOf(key));
                    applyPut(m, key, v, s.send("PUT " + key + " " + PINNED + " " + v.seed(), true));
                }
            }
            long[] afterFill = counters(WorkerSystem.expectOk(s.send("RECLAIM")));
            assertThat(afterFill[0]).as("segments evicted past the high watermark").isGreaterThan(before[0]);
            for (int i = 0; i < FILLERS; i++) {
                assertThat(WorkerSystem.expectOk(s.send("DEL wt/pressure/" + i))).isEqualTo("OK true");
            }
            long[] afterDelete = counters(WorkerSystem.expectOk(s.send("RECLAIM")));
            assertThat(afterDelete[1]).as("segments compacted once the fillers are deleted").isGreaterThan(before[1]);
            for (String k : new ArrayList<>(m.keys.keySet())) {
                observe(s, k, 0, 1);
            }
            for (String k : m.readOnly.keySet()) {
                observe(s, k, 0, 1);
            }
            return s;
        }

        private static long[] counters(String reply) {
            String[] p = WorkerSystem.expectOk(reply).split(" ");
            return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2])};
        }

        @Override
        public String toString() {
            return "cache pressure (" + FILLERS + " x 2 MiB WRITE_THROUGH fillers, S3 pinned puts, evict, delete fillers,"
                    + " compact; seeds from " + seed + ")";
        }
    }
}
