package io.wcache.properties.cache;

import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.Location;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.persister.async.Backoff;
import io.wcache.persister.async.PersisterConfig;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.worker.persist.AsyncPersister;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real worker in its own JVM, driven line by line over stdin/stdout so that the property can
 * SIGKILL it at any moment. Each command line gets one reply line: {@code OK ...} or
 * {@code ERR <ErrorKind> <message>}. Commands name bodies by (seed, size) (see {@link Bodies}).
 *
 * <pre>
 * PUT key size seed              -> OK etag
 * PUTASYNC key size seed         -> STARTED           (the write runs on; used just before a kill)
 * CPUT key size seed,seed,...    -> OK seed:OK|seed:ERR-kind,...   (concurrent writes to one key)
 * GET key offset length          -> OK size md5       (length -1: to the end)
 * HEAD key                       -> OK size etag
 * DEL key                        -> OK true|false
 * LIST prefix delimiter pageSize -> OK obj,obj|cp,cp (all pages; "-" for an empty prefix or delimiter)
 * POLICY prefix POLICY           -> OK
 * DRAIN seconds                  -> OK remaining
 * STATS                          -> OK pinned pinnedCap evictable
 * LOCATE key                     -> OK segment:position:length,...  (the current version's records)
 * RECLAIM                        -> OK evictions compactions  (one eviction and compaction pass now; counters since start)
 * RECLAIMS                       -> OK evictions compactions  (the counters only)
 * </pre>
 */
public final class WorkerChild {

    static final String MOUNT = "/m";
    static final String S3_ACCESS_KEY = "prop";
    static final String S3_SECRET_KEY = "prop-secret";

    private final Worker worker;
    private final WorkerCacheService cache;
    private final ExecutorService writers = Executors.newCachedThreadPool();

    private WorkerChild(Worker worker) {
        this.worker = worker;
        this.cache = worker.cacheService();
    }

    /** The worker configuration of a property run: small capacity and pinned cap, mount {@code /m} on the S3 UFS. */
    static WcacheConfig config(Path root, String endpoint, String accessKey, String secretKey, String bucket) {
        String yaml = "data.dir: " + root.toAbsolutePath() + "\n"
                + "metadata.engine: embedded:" + root.resolve("meta").toAbsolutePath() + "\n"
                + "cache.dirs: [" + root.resolve("cache").toAbsolutePath() + "]\n"
                + "cache.capacity: 32MiB\n"
                + "worker.page.store.pinned.file.capacity.limit.ratio: 0.25\n"
                + "worker.write.cache.async.persist.retry.initial.interval: 50ms\n"
                + "worker.write.cache.async.persist.retry.max.interval: 200ms\n"
                + "path.default.policy: WRITE_BACK\n"
                + "s3.address: 127.0.0.1:0\n"
                + "s3.auth: sigv4\n"
                + "s3.credentials: [{accessKey: " + S3_ACCESS_KEY + ", secretKey: " + S3_SECRET_KEY + "}]\n"
                + "admin.address: 127.0.0.1:0\n"
                + "mounts:\n  - path: " + MOUNT + "\n    ufs: s3://" + bucket + "/data\n    options:\n"
                + "      endpoint: " + endpoint + "\n      access.key: " + accessKey + "\n      secret.key: " + secretKey
                + "\n      region: us-east-1\n      connect.timeout: 1s\n      socket.timeout: 5s\n";
        return WcacheConfig.fromYaml(yaml, "property config", List.of());
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Worker worker = Worker.start(config(root, args[1], args[2], args[3], args[4]),
                WorkerOptions.defaults().withPersister(false).withSegmentSize(4L << 20),
                List.of(io.wcache.worker.S3Frontend.fromConfig()));
        WorkerChild child = new WorkerChild(worker);
        int port = worker.frontends().stream().filter(f -> f instanceof io.wcache.worker.S3Frontend)
                .map(f -> ((io.wcache.worker.S3Frontend) f).address().getPort()).findFirst().orElse(0);
        out.println("READY " + port);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String reply;
            try {
                reply = child.execute(line.trim().split(" "));
            } catch (Throwable e) {
                Throwable c = WorkerCacheService.unwrap(e);
                String kind = c instanceof WcacheException w ? w.kind().name() : c.getClass().getSimpleName();
                reply = "ERR " + kind + " " + String.valueOf(c.getMessage()).replace('\n', ' ');
            }
            out.println(reply);
        }
        worker.close();
    }

    private static NamespacePath path(String key) {
        return NamespacePath.of(MOUNT + "/" + key);
    }

    private static String dash(String s) {
        return s.equals("-") ? "" : s;
    }

    String execute(String[] c) throws Exception {
        switch (c[0]) {
            case "PUT":
                return "OK " + put(c[1], Integer.parseInt(c[2]), Long.parseLong(c[3])).etag();
            case "PUTASYNC": {
                String key = c[1];
                int size = Integer.parseInt(c[2]);
                long seed = Long.parseLong(c[3]);
                writers.submit(() -> put(key, size, seed));
                return "STARTED";
            }
            case "CPUT": {
                String key = c[1];
                int size = Integer.parseInt(c[2]);
                List<String> seeds = List.of(c[3].split(","));
                List<CompletableFuture<String>> runs = new ArrayList<>();
                for (String s : seeds) {
                    runs.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            put(key, size, Long.parseLong(s));
                            return s + ":OK";
                        } catch (Throwable e) {
                            Throwable x = WorkerCacheService.unwrap(e);
                            return s + ":ERR-" + (x instanceof WcacheException w ? w.kind().name() : x.getClass().getSimpleName());
                        }
                    }, writers));
                }
                List<String> results = new ArrayList<>();
                for (CompletableFuture<String> f : runs) {
                    results.add(f.get(60, TimeUnit.SECONDS));
                }
                return "OK " + String.join(",", results);
            }
            case "GET": {
                long offset = Long.parseLong(c[2]);
                int length = Integer.parseInt(c[3]);
                try (ObjectReader r = WorkerCacheService.await(cache.open(path(c[1])))) {
                    long size = r.info().size();
                    int n = length < 0 ? (int) Math.max(0, size - offset) : length;
                    ByteBuffer b = WorkerCacheService.await(r.read(offset, n));
                    byte[] got = new byte[b.remaining()];
                    b.get(got);
                    return "OK " + size + " " + Bodies.md5(got);
                }
            }
            case "HEAD": {
                Optional<ObjectInfo> info = WorkerCacheService.await(cache.stat(path(c[1])));
                return info.map(i -> "OK " + i.size() + " " + i.etag()).orElse("ERR NOT_FOUND no such key");
            }
            case "DEL":
                return "OK " + WorkerCacheService.await(cache.delete(path(c[1])));
            case "LIST":
                return "OK " + list(dash(c[1]), dash(c[2]), Integer.parseInt(c[3]));
            case "POLICY":
                worker.catalog().cluster().putPathRule(new PathRule(path(c[1]), WritePolicy.valueOf(c[2]), 1));
                cache.refreshPathConfig();
                return "OK";
            case "DRAIN":
                return "OK " + drain(Duration.ofSeconds(Long.parseLong(c[1])));
            case "STATS": {
                var s = worker.logStore().stats();
                return "OK " + s.pinnedBytes() + " " + s.pinnedCapBytes() + " " + s.evictableBytes();
            }
            case "LOCATE": {
                List<String> out = new ArrayList<>();
                worker.catalog().files().layout(path(c[1])).ifPresent(l -> l.extents().forEach(e -> {
                    Location at = ExtentCodec.toLocation(e);
                    out.add(at.segmentId() + ":" + at.position() + ":" + at.length());
                }));
                return "OK " + String.join(",", out);
            }
            case "RECLAIM":
                worker.logStore().reclaimNow();
                return reclaims();
            case "RECLAIMS":
                return reclaims();
            default:
                return "ERR INVALID_ARGUMENT unknown command " + c[0];
        }
    }

    private String reclaims() {
        var counters = worker.logStore().counters();
        return "OK " + counters.evictions.get() + " " + counters.compactions.get();
    }

    private ObjectInfo put(String key, int size, long seed) {
        byte[] body = Bodies.bytes(seed, size);
        WriteSession s = WorkerCacheService.await(cache.create(path(key), WriteOptions.defaults()));
        try {
            int chunk = 256 * 1024;
            for (int off = 0; off < body.length; off += chunk) {
                WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, Math.min(chunk, body.length - off))));
            }
            return WorkerCacheService.await(s.commit());
        } catch (RuntimeException e) {
            s.abort();
            throw e;
        }
    }

    private String list(String prefix, String delimiter, int pageSize) {
        List<String> objects = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        Optional<String> token = Optional.empty();
        int pages = 0;
        do {
            ListResult page = WorkerCacheService.await(cache.list(new ListQuery(NamespacePath.of(MOUNT), prefix, delimiter,
                    "", pageSize, token)));
            if (page.objects().size() + page.commonPrefixes().size() > pageSize) {
                throw new IllegalStateException("page of " + pageSize + " holds " + (page.objects().size()
                        + page.commonPrefixes().size()) + " entries");
            }
            for (ObjectInfo o : page.objects()) {
                objects.add(o.path().toString().substring(MOUNT.length() + 1));
            }
            prefixes.addAll(page.commonPrefixes());
            token = page.continuation();
            if (++pages > 10_000) {
                throw new IllegalStateException("listing does not end");
            }
        } while (token.isPresent());
        return String.join(",", objects) + "|" + String.join(",", prefixes);
    }

    /**
     * Runs the worker's persister ({@link Worker#newPersister}) until no undamaged version waits
     * for the UFS or {@code limit} passed; the undamaged tasks left.
     */
    private int drain(Duration limit) {
        try (AsyncPersister p = worker.newPersister(PersisterConfig.of(worker.options().workerId(), 2,
                new Backoff(Duration.ofMillis(20), Duration.ofMillis(200))).withPollInterval(Duration.ofMillis(20)))) {
            p.persister().start();
            Instant deadline = Instant.now().plus(limit);
            while (undamagedPending() > 0 && Instant.now().isBefore(deadline)) {
                Thread.sleep(25);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return undamagedPending();
    }

    /** Pending uploads, not counting those of damaged versions (they fail until the path is overwritten or deleted). */
    private int undamagedPending() {
        return (int) worker.catalog().persistQueue().pendingTasks(1000).stream()
                .filter(t -> worker.catalog().files().lookup(t.path()).map(v -> !v.damaged()).orElse(true)).count();
    }
}
