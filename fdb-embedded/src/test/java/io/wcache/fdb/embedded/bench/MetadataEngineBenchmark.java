package io.wcache.fdb.embedded.bench;

import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.record.RecordMetaData;
import com.apple.foundationdb.record.RecordMetaDataBuilder;
import com.apple.foundationdb.record.metadata.Index;
import com.apple.foundationdb.record.metadata.IndexTypes;
import com.apple.foundationdb.record.metadata.Key;
import com.apple.foundationdb.record.metadata.expressions.VersionKeyExpression;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordStore;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import io.wcache.fdb.MetadataEngine;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Commit latency and throughput of the embedded metadata engine against the machine's own fsync latency,
 * measured in the same run. Not a test. Run with:
 * {@code mvn -B -ntp -o -q -pl fdb-embedded test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.wcache.fdb.embedded.bench.MetadataEngineBenchmark [-Dexec.args=DIR]}
 */
public final class MetadataEngineBenchmark {
    private static final int LATENCY_SAMPLES = 2_000;
    private static final long THROUGHPUT_MILLIS = Long.getLong("bench.millis", 5_000);

    private MetadataEngineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path base = args.length > 0 ? Path.of(args[0]) : Path.of("target", "bench");
        Files.createDirectories(base);
        Path work = Files.createTempDirectory(base.toAbsolutePath(), "meta-bench");
        if (System.getProperty("bench.recordLayerOnly") != null) {
            try (MetadataEngine engine = MetadataEngine.open("embedded:" + work.resolve("engine"))) {
                System.out.printf("Record Layer saveRecord/s %.0f%n", recordLayerSaves(engine.recordDatabase()));
            }
            return;
        }
        List<String[]> rows = new ArrayList<>();

        try (MetadataEngine engine = MetadataEngine.open("embedded:" + work.resolve("engine"))) {
            long[][] samples = interleavedLatencies(work, engine, LATENCY_SAMPLES);
            long[] fsync = samples[0];
            long[] commit = samples[2];
            rows.add(row("raw fsync (128 B append + fdatasync)", fsync));
            rows.add(row("raw RocksDB put, sync=true", samples[1]));
            rows.add(row("embedded commit (1 key, 100 B)", commit));
            double perSecond16 = commitThroughput(engine, 16);
            double perSecond1 = commitThroughput(engine, 1);
            double perSecond64 = commitThroughput(engine, 64);
            double saves = recordLayerSaves(engine.recordDatabase());

            System.out.println();
            System.out.printf("%-48s %10s %10s%n", "operation", "p50 (us)", "p99 (us)");
            for (String[] r : rows) {
                System.out.printf("%-48s %10s %10s%n", r[0], r[1], r[2]);
            }
            System.out.println();
            System.out.printf("%-48s %12.0f%n", "serial fsyncs/s (1 / fsync p50)", 1e9 / percentile(fsync, 50));
            System.out.printf("%-48s %12.0f%n", "small commits/s, 1 thread", perSecond1);
            System.out.printf("%-48s %12.0f%n", "small commits/s, 16 threads", perSecond16);
            System.out.printf("%-48s %12.0f%n", "small commits/s, 64 threads", perSecond64);
            System.out.printf("%-48s %12.0f%n", "Record Layer saveRecord/s (100 per txn)", saves);
            System.out.printf("%-48s %12.2f%n", "commit p50 / fsync p50", percentile(commit, 50) / (double) percentile(fsync, 50));
            System.out.printf("%-48s %12.2f%n", "16-thread commits/s / serial fsyncs/s", perSecond16 * percentile(fsync, 50) / 1e9);
        }
    }

    private static String[] row(String name, long[] nanos) {
        return new String[] {name, String.format("%.1f", percentile(nanos, 50) / 1000.0), String.format("%.1f", percentile(nanos, 99) / 1000.0)};
    }

    private static long percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /**
     * Samples raw fsync, a raw synced RocksDB put and an embedded commit in turn, one of each per round, so
     * that the noise of a shared machine falls on all three alike and their ratio is meaningful.
     */
    private static long[][] interleavedLatencies(Path work, MetadataEngine engine, int n) throws Exception {
        RocksDB.loadLibrary();
        long[][] out = new long[3][n];
        ByteBuffer record = ByteBuffer.allocate(128);
        byte[] value = new byte[100];
        try (FileChannel ch = FileChannel.open(work.resolve("fsync.dat"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND);
             Options options = new Options().setCreateIfMissing(true);
             RocksDB raw = RocksDB.open(options, work.resolve("raw-rocksdb").toString());
             WriteOptions sync = new WriteOptions().setSync(true)) {
            for (int i = -200; i < n; i++) {
                record.clear();
                long t0 = System.nanoTime();
                ch.write(record);
                ch.force(false);
                long t1 = System.nanoTime();
                raw.put(sync, ("raw/" + i).getBytes(StandardCharsets.US_ASCII), value);
                long t2 = System.nanoTime();
                try (Transaction tr = engine.database().createTransaction()) {
                    tr.set(("lat/" + i).getBytes(StandardCharsets.US_ASCII), value);
                    tr.commit().join();
                }
                long t3 = System.nanoTime();
                if (i >= 0) {
                    out[0][i] = t1 - t0;
                    out[1][i] = t2 - t1;
                    out[2][i] = t3 - t2;
                }
            }
        }
        return out;
    }

    private static double commitThroughput(MetadataEngine engine, int threads) throws InterruptedException {
        LongAdder commits = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        byte[] value = new byte[100];
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread w = new Thread(() -> {
                for (long i = 0; !stop.get(); i++) {
                    try (Transaction tr = engine.database().createTransaction()) {
                        tr.set(("tp/" + threads + "/" + thread + "/" + i).getBytes(StandardCharsets.US_ASCII), value);
                        tr.commit().join();
                        commits.increment();
                    }
                }
            });
            workers.add(w);
            w.start();
        }
        Thread.sleep(500);
        long before = commits.sum();
        long start = System.nanoTime();
        Thread.sleep(THROUGHPUT_MILLIS);
        long done = commits.sum() - before;
        double seconds = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        for (Thread w : workers) {
            w.join();
        }
        return done / seconds;
    }

    private static double recordLayerSaves(FDBDatabase db) {
        Descriptors.FileDescriptor file = itemFile();
        Descriptors.Descriptor item = file.findMessageTypeByName("Item");
        RecordMetaDataBuilder builder = RecordMetaData.newBuilder().setRecords(file);
        builder.getRecordType("Item").setPrimaryKey(Key.Expressions.field("id"));
        builder.addIndex("Item", new Index("Item$name", Key.Expressions.field("name")));
        builder.setStoreRecordVersions(true);
        builder.addIndex("Item", new Index("Item$version", VersionKeyExpression.VERSION, IndexTypes.VERSION));
        RecordMetaData metaData = builder.build();
        Subspace space = new Subspace(Tuple.from("bench"));
        long saved = 0;
        long id = 0;
        long start = 0;
        for (int round = -5; ; round++) {
            if (round == 0) {
                start = System.nanoTime();
            }
            long first = id;
            db.run(ctx -> {
                FDBRecordStore store = FDBRecordStore.newBuilder().setMetaDataProvider(metaData).setContext(ctx)
                        .setSubspace(space).createOrOpen();
                for (long i = first; i < first + 100; i++) {
                    store.saveRecord(DynamicMessage.newBuilder(item)
                            .setField(item.findFieldByName("id"), i)
                            .setField(item.findFieldByName("name"), "name-" + (i % 1000))
                            .build());
                }
                return null;
            });
            id += 100;
            if (round >= 0) {
                saved += 100;
                if (System.nanoTime() - start > THROUGHPUT_MILLIS * 1_000_000L) {
                    break;
                }
            }
        }
        return saved / ((System.nanoTime() - start) / 1e9);
    }

    private static Descriptors.FileDescriptor itemFile() {
        DescriptorProtos.DescriptorProto itemType = DescriptorProtos.DescriptorProto.newBuilder().setName("Item")
                .addField(DescriptorProtos.FieldDescriptorProto.newBuilder().setName("id").setNumber(1)
                        .setType(DescriptorProtos.FieldDescriptorProto.Type.TYPE_INT64))
                .addField(DescriptorProtos.FieldDescriptorProto.newBuilder().setName("name").setNumber(2)
                        .setType(DescriptorProtos.FieldDescriptorProto.Type.TYPE_STRING))
                .build();
        DescriptorProtos.DescriptorProto union = DescriptorProtos.DescriptorProto.newBuilder().setName("RecordTypeUnion")
                .addField(DescriptorProtos.FieldDescriptorProto.newBuilder().setName("_Item").setNumber(1)
                        .setType(DescriptorProtos.FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".bench.Item"))
                .build();
        try {
            return Descriptors.FileDescriptor.buildFrom(DescriptorProtos.FileDescriptorProto.newBuilder()
                    .setName("bench_items.proto").setPackage("bench").setSyntax("proto2")
                    .addMessageType(itemType).addMessageType(union).build(), new Descriptors.FileDescriptor[0]);
        } catch (Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }
}
