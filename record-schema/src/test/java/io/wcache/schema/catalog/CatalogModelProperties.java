package io.wcache.schema.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.Size;

/**
 * Random sequences of catalog operations, applied both to the Catalog on the embedded engine and
 * to a plain in-memory model, agree on look-ups, on listings (every page size, several prefixes
 * and delimiters, pages joined through continuation tokens), on the persist queue (pending and due
 * tasks) and on the per-worker byte counters.
 */
class CatalogModelProperties {

    static final List<String> KEYS = List.of("a", "a/b", "a/b/c", "a/c", "ab", "b/x/y", "b/z", "c", "\u00e9/1");
    static final List<WritePolicy> POLICIES = List.of(WritePolicy.WRITE_BACK, WritePolicy.WRITE_BACK,
            WritePolicy.WRITE_THROUGH, WritePolicy.TRANSIENT);
    static final Duration LEASE = Duration.ofSeconds(30);

    sealed interface Op {
    }

    record Write(int key, int policy, int chunks) implements Op {
    }

    record Begin(int key, int policy) implements Op {
    }

    record CommitOpen(int session, int chunks) implements Op {
    }

    record AbortOpen(int session) implements Op {
    }

    record Delete(int key) implements Op {
    }

    record Claim() implements Op {
    }

    record FinishHeld(int held) implements Op {
    }

    record FailHeld(int held, int delaySeconds) implements Op {
    }

    record Advance(int seconds) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        // A few hot keys make overwrites, deletes and lease hand-overs on one path frequent.
        Arbitrary<Integer> key = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.of(0, 1, 7)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, KEYS.size() - 1)));
        Arbitrary<Integer> policy = Arbitraries.integers().between(0, POLICIES.size() - 1);
        Arbitrary<Integer> small = Arbitraries.integers().between(0, 4);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, net.jqwik.api.Combinators.combine(key, policy, small).as(Write::new)),
                net.jqwik.api.Tuple.of(2, net.jqwik.api.Combinators.combine(key, policy).as(Begin::new)),
                net.jqwik.api.Tuple.of(2, net.jqwik.api.Combinators.combine(small, small).as(CommitOpen::new)),
                net.jqwik.api.Tuple.of(1, small.map(AbortOpen::new)),
                net.jqwik.api.Tuple.of(3, key.map(Delete::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(new Claim())),
                net.jqwik.api.Tuple.of(2, small.map(FinishHeld::new)),
                net.jqwik.api.Tuple.of(1, net.jqwik.api.Combinators.combine(small, Arbitraries.integers().between(1, 60))
                        .as(FailHeld::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1, 40).map(Advance::new)));
        return op.list().ofMinSize(1).ofMaxSize(30);
    }

    // ------------------------------------------------------------------ the model

    record MFile(long fileId, long generation, long size, PersistState persistState) {
    }

    record MTask(TaskKind kind, long fileId, long generation, long nextAttempt, String leaseOwner, long leaseExpiry) {
        boolean leasedAt(long now) {
            return leaseOwner != null && leaseExpiry > now;
        }
    }

    record MSession(String path, long fileId, WritePolicy policy) {
    }

    static final class Model {
        final Map<String, MFile> files = new HashMap<>();
        final Map<String, Long> tombstones = new HashMap<>();
        final Map<String, MTask> tasks = new HashMap<>();

        long nextGeneration(String path) {
            long g = files.containsKey(path) ? files.get(path).generation() : 0;
            return Math.max(g, tombstones.getOrDefault(path, 0L)) + 1;
        }

        void upsertTask(String path, TaskKind kind, long fileId, long gen, long now) {
            MTask old = tasks.get(path);
            if (old != null && old.leasedAt(now)) {
                tasks.put(path, new MTask(kind, fileId, gen, old.leaseExpiry(), old.leaseOwner(), old.leaseExpiry()));
            } else {
                tasks.put(path, new MTask(kind, fileId, gen, now, null, 0));
            }
        }

        void commit(MSession s, long size, long now) {
            long gen = nextGeneration(s.path());
            PersistState ps = switch (s.policy()) {
                case WRITE_BACK -> PersistState.NOT_PERSISTED;
                case TRANSIENT -> PersistState.TRANSIENT;
                default -> PersistState.PERSISTED;
            };
            files.put(s.path(), new MFile(s.fileId(), gen, size, ps));
            MTask existing = tasks.get(s.path());
            switch (s.policy()) {
                case WRITE_BACK -> {
                    upsertTask(s.path(), TaskKind.UPLOAD, s.fileId(), gen, now);
                    tombstones.remove(s.path());
                }
                case WRITE_THROUGH -> {
                    tombstones.remove(s.path());
                    tasks.remove(s.path());
                }
                default -> {
                    if (existing != null && existing.kind() == TaskKind.UPLOAD) {
                        tasks.remove(s.path());
                    }
                }
            }
        }

        void delete(String path, long now) {
            long gen = nextGeneration(path);
            MFile old = files.remove(path);
            tombstones.put(path, gen);
            upsertTask(path, TaskKind.DELETE, old == null ? 0 : old.fileId(), gen, now);
        }

        boolean current(String path, PersistTask t) {
            MTask m = tasks.get(path);
            return m != null && m.generation() == t.generation() && m.fileId() == t.fileId() && m.kind() == t.kind();
        }

        void release(String path, PersistTask t, long now) {
            MTask m = tasks.get(path);
            if (m != null && m.leaseOwner() != null && t.leaseOwner().isPresent() && m.leaseOwner().equals(t.leaseOwner().get())) {
                tasks.put(path, new MTask(m.kind(), m.fileId(), m.generation(), now, null, 0));
            }
        }

        PersistOutcome finish(PersistTask t, long now) {
            String path = t.path().toString();
            if (!current(path, t)) {
                release(path, t, now);
                return PersistOutcome.SUPERSEDED;
            }
            if (t.kind() == TaskKind.UPLOAD) {
                MFile f = files.get(path);
                files.put(path, new MFile(f.fileId(), f.generation(), f.size(), PersistState.PERSISTED));
            } else if (tombstones.getOrDefault(path, -1L) == t.generation()) {
                tombstones.remove(path);
            }
            tasks.remove(path);
            return PersistOutcome.PERSISTED;
        }

        boolean fail(PersistTask t, long now, long next) {
            String path = t.path().toString();
            if (!current(path, t)) {
                release(path, t, now);
                return false;
            }
            MTask m = tasks.get(path);
            if (m.leaseOwner() != null && m.leaseExpiry() > now && !m.leaseOwner().equals(t.leaseOwner().orElse(""))) {
                // Another claimer holds the task now (the failing one's lease ran out): its lease stays.
                tasks.put(path, new MTask(m.kind(), m.fileId(), m.generation(), Math.max(next, m.leaseExpiry()),
                        m.leaseOwner(), m.leaseExpiry()));
                return true;
            }
            tasks.put(path, new MTask(m.kind(), m.fileId(), m.generation(), next, null, 0));
            MFile f = files.get(path);
            if (t.kind() == TaskKind.UPLOAD && f != null && f.fileId() == t.fileId()) {
                files.put(path, new MFile(f.fileId(), f.generation(), f.size(), PersistState.NOT_PERSISTED));
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ the property

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    void catalogAgreesWithTheModel(@ForAll("ops") @Size(max = 30) List<Op> ops) {
        TestClock clock = new TestClock();
        Catalog catalog = CatalogFixture.newCatalog(clock);
        Model model = new Model();
        List<MSession> open = new ArrayList<>();
        List<PersistTask> held = new ArrayList<>();
        int owners = 0;
        for (Op op : ops) {
            long now = clock.millis();
            if (op instanceof Write w) {
                MSession s = begin(catalog, KEYS.get(w.key()), POLICIES.get(w.policy()));
                commit(catalog, model, s, w.chunks(), now);
            } else if (op instanceof Begin b) {
                open.add(begin(catalog, KEYS.get(b.key()), POLICIES.get(b.policy())));
            } else if (op instanceof CommitOpen c && !open.isEmpty()) {
                commit(catalog, model, open.remove(c.session() % open.size()), c.chunks(), now);
            } else if (op instanceof AbortOpen a && !open.isEmpty()) {
                MSession s = open.remove(a.session() % open.size());
                catalog.files().abort(new SessionRef(NamespacePath.of(s.path()), s.fileId()));
            } else if (op instanceof Delete d) {
                String path = "/m/" + KEYS.get(d.key());
                catalog.files().delete(NamespacePath.of(path));
                model.delete(path, now);
            } else if (op instanceof Claim) {
                String owner = "p" + owners++;
                List<PersistTask> claimed = catalog.persistQueue().claimTasks(owner, LEASE, 1000);
                var expected = model.tasks.entrySet().stream().filter(e -> e.getValue().nextAttempt() <= now)
                        .map(e -> e.getKey() + "@" + e.getValue().generation()).collect(Collectors.toSet());
                assertThat(claimed.stream().map(t -> t.path() + "@" + t.generation()).collect(Collectors.toSet()))
                        .isEqualTo(expected);
                for (PersistTask t : claimed) {
                    String path = t.path().toString();
                    MTask m = model.tasks.get(path);
                    model.tasks.put(path, new MTask(m.kind(), m.fileId(), m.generation(), now + LEASE.toMillis(), owner,
                            now + LEASE.toMillis()));
                    MFile f = model.files.get(path);
                    if (t.kind() == TaskKind.UPLOAD && f != null && f.fileId() == t.fileId()) {
                        model.files.put(path, new MFile(f.fileId(), f.generation(), f.size(), PersistState.PERSISTING));
                    }
                    held.add(t);
                }
            } else if (op instanceof FinishHeld f && !held.isEmpty()) {
                PersistTask t = held.remove(f.held() % held.size());
                assertThat(catalog.persistQueue().markPersisted(t)).isEqualTo(model.finish(t, now));
            } else if (op instanceof FailHeld f && !held.isEmpty()) {
                PersistTask t = held.remove(f.held() % held.size());
                Instant next = clock.instant().plusSeconds(f.delaySeconds());
                assertThat(catalog.persistQueue().reschedule(t, next, "boom").isPresent()).isEqualTo(model.fail(t, now, next.toEpochMilli()));
            } else if (op instanceof Advance a) {
                clock.advance(Duration.ofSeconds(a.seconds()));
            }
        }
        check(catalog, model, clock);
    }

    private static MSession begin(Catalog catalog, String key, WritePolicy policy) {
        FileVersion s = catalog.files().begin(BeginRequest.of(NamespacePath.of("/m/" + key), policy, "w1"));
        return new MSession(s.path().toString(), s.fileId(), policy);
    }

    private static void commit(Catalog catalog, Model model, MSession s, int chunks, long now) {
        SessionRef ref = new SessionRef(NamespacePath.of(s.path()), s.fileId());
        List<Extent> ext = CatalogFixture.extents(s.fileId(), chunks, 7);
        // Exercise the batch path: extents and commit in one transaction.
        List<OpOutcome> out = catalog.files().apply(List.of(new CatalogOp.AddExtents(ref, ext),
                new CatalogOp.Commit(ref, new CommitRequest(chunks * 7L, "", 0))));
        CommitResult r = out.get(1).get(CommitResult.class);
        model.commit(s, chunks * 7L, now);
        assertThat(r.committed().generation()).isEqualTo(model.files.get(s.path()).generation());
    }

    private static void check(Catalog catalog, Model model, TestClock clock) {
        long pinned = 0;
        long evictable = 0;
        for (String key : KEYS) {
            String path = "/m/" + key;
            Optional<FileVersion> actual = catalog.files().lookup(NamespacePath.of(path));
            MFile expected = model.files.get(path);
            if (expected == null) {
                assertThat(actual).as(path).isEmpty();
            } else {
                FileVersion f = actual.orElseThrow(() -> new AssertionError(path + " missing"));
                assertThat(new MFile(f.fileId(), f.generation(), f.size(), f.persistState())).as(path).isEqualTo(expected);
                if (expected.persistState() == PersistState.PERSISTED) {
                    evictable += expected.size();
                } else {
                    pinned += expected.size();
                }
            }
            assertThat(catalog.files().tombstone(NamespacePath.of(path)).map(Tombstone::generation))
                    .as("tombstone " + path).isEqualTo(Optional.ofNullable(model.tombstones.get(path)));
        }
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(pinned, evictable));

        Map<String, String> pending = new TreeMap<>();
        for (PersistTask t : catalog.persistQueue().pendingTasks(1000)) {
            pending.put(t.path().toString(), t.kind() + "@" + t.generation() + "@" + t.nextAttemptTime().toEpochMilli());
        }
        Map<String, String> expectedPending = new TreeMap<>();
        model.tasks.forEach((p, t) -> expectedPending.put(p, t.kind() + "@" + t.generation() + "@" + t.nextAttempt()));
        assertThat(pending).isEqualTo(expectedPending);
        long now = clock.millis();
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 1000).stream().map(t -> t.path().toString()).collect(Collectors.toSet()))
                .isEqualTo(model.tasks.entrySet().stream().filter(e -> e.getValue().nextAttempt() <= now)
                        .map(Map.Entry::getKey).collect(Collectors.toSet()));

        TreeSet<String> committed = new TreeSet<>(NamespacePath::compareCodePoints);
        committed.addAll(model.files.keySet());
        for (String prefix : List.of("/m/", "/m/a", "", "/m/b/")) {
            for (String delimiter : List.of("", "/", "b")) {
                List<String> expected = expectedListing(committed, prefix, delimiter);
                for (int pageSize : List.of(1, 2, 3, 1000)) {
                    assertThat(listAll(catalog, prefix, delimiter, pageSize))
                            .as("prefix=%s delimiter=%s pageSize=%d", prefix, delimiter, pageSize).isEqualTo(expected);
                }
            }
        }
    }

    private static List<String> expectedListing(TreeSet<String> committed, String prefix, String delimiter) {
        List<String> out = new ArrayList<>();
        for (String p : committed) {
            if (!p.startsWith(prefix)) {
                continue;
            }
            int i = delimiter.isEmpty() ? -1 : p.indexOf(delimiter, prefix.length());
            String entry = i < 0 ? p : "P:" + p.substring(0, i + delimiter.length());
            if (out.isEmpty() || !out.get(out.size() - 1).equals(entry)) {
                out.add(entry);
            }
        }
        return out;
    }

    private static List<String> listAll(Catalog catalog, String prefix, String delimiter, int pageSize) {
        List<String> out = new ArrayList<>();
        ListRequest req = ListRequest.of(prefix, delimiter, pageSize);
        for (int pages = 0; pages < 100; pages++) {
            ListPage page = catalog.files().list(req);
            assertThat(page.files().size() + page.commonPrefixes().size()).isLessThanOrEqualTo(pageSize);
            List<String> entries = new ArrayList<>();
            page.files().forEach(f -> entries.add(f.path().toString()));
            page.commonPrefixes().forEach(c -> entries.add("P:" + c));
            entries.sort(Comparator.comparing((String e) -> e.startsWith("P:") ? e.substring(2) : e,
                    NamespacePath::compareCodePoints));
            out.addAll(entries);
            if (page.continuation().isEmpty()) {
                return out;
            }
            req = req.withContinuation(page.continuation().get());
        }
        throw new AssertionError("listing did not end");
    }
}
