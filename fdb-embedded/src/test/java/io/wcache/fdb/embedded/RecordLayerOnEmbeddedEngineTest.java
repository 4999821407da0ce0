package io.wcache.fdb.embedded;

import com.apple.foundationdb.record.ExecuteProperties;
import com.apple.foundationdb.record.IndexEntry;
import com.apple.foundationdb.record.IndexScanType;
import com.apple.foundationdb.record.RecordCursor;
import com.apple.foundationdb.record.RecordCursorResult;
import com.apple.foundationdb.record.RecordMetaData;
import com.apple.foundationdb.record.RecordMetaDataBuilder;
import com.apple.foundationdb.record.ScanProperties;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.metadata.Index;
import com.apple.foundationdb.record.metadata.IndexTypes;
import com.apple.foundationdb.record.metadata.Key;
import com.apple.foundationdb.record.metadata.expressions.VersionKeyExpression;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBQueriedRecord;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordContext;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordStore;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoredRecord;
import com.apple.foundationdb.record.query.RecordQuery;
import com.apple.foundationdb.record.query.expressions.Query;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.wcache.fdb.MetadataEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The Record Layer, unchanged, on the embedded engine: records, a VALUE and a VERSION index, retries. */
class RecordLayerOnEmbeddedEngineTest {
    private static final Descriptors.FileDescriptor FILE = buildFile();
    private static final Descriptors.Descriptor ITEM = FILE.findMessageTypeByName("Item");
    private static final Subspace STORE_SPACE = new Subspace(Tuple.from("items-test"));

    @TempDir
    Path dir;
    private MetadataEngine engine;
    private FDBDatabase db;
    private RecordMetaData metaData;

    private static Descriptors.FileDescriptor buildFile() {
        DescriptorProtos.DescriptorProto item = DescriptorProtos.DescriptorProto.newBuilder().setName("Item")
                .addField(field("id", 1, DescriptorProtos.FieldDescriptorProto.Type.TYPE_INT64))
                .addField(field("name", 2, DescriptorProtos.FieldDescriptorProto.Type.TYPE_STRING))
                .addField(field("qty", 3, DescriptorProtos.FieldDescriptorProto.Type.TYPE_INT64))
                .build();
        DescriptorProtos.DescriptorProto union = DescriptorProtos.DescriptorProto.newBuilder().setName("RecordTypeUnion")
                .addField(DescriptorProtos.FieldDescriptorProto.newBuilder().setName("_Item").setNumber(1)
                        .setLabel(DescriptorProtos.FieldDescriptorProto.Label.LABEL_OPTIONAL)
                        .setType(DescriptorProtos.FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".test.Item"))
                .build();
        DescriptorProtos.FileDescriptorProto file = DescriptorProtos.FileDescriptorProto.newBuilder()
                .setName("test_items.proto").setPackage("test").setSyntax("proto2")
                .addMessageType(item).addMessageType(union).build();
        try {
            return Descriptors.FileDescriptor.buildFrom(file, new Descriptors.FileDescriptor[0]);
        } catch (Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DescriptorProtos.FieldDescriptorProto field(String name, int number, DescriptorProtos.FieldDescriptorProto.Type type) {
        return DescriptorProtos.FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
                .setLabel(DescriptorProtos.FieldDescriptorProto.Label.LABEL_OPTIONAL).setType(type).build();
    }

    @BeforeEach
    void open() {
        engine = MetadataEngine.open("embedded:" + dir);
        db = engine.recordDatabase();
        RecordMetaDataBuilder builder = RecordMetaData.newBuilder().setRecords(FILE);
        builder.getRecordType("Item").setPrimaryKey(Key.Expressions.field("id"));
        builder.addIndex("Item", new Index("Item$name", Key.Expressions.field("name")));
        builder.setStoreRecordVersions(true);
        builder.addIndex("Item", new Index("Item$version", VersionKeyExpression.VERSION, IndexTypes.VERSION));
        metaData = builder.build();
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private FDBRecordStore store(FDBRecordContext context) {
        return FDBRecordStore.newBuilder().setMetaDataProvider(metaData).setContext(context)
                .setSubspace(STORE_SPACE).createOrOpen();
    }

    private static Message item(long id, String name, long qty) {
        return DynamicMessage.newBuilder(ITEM)
                .setField(ITEM.findFieldByName("id"), id)
                .setField(ITEM.findFieldByName("name"), name)
                .setField(ITEM.findFieldByName("qty"), qty)
                .build();
    }

    private static Object get(Message m, String field) {
        return m.getField(m.getDescriptorForType().findFieldByName(field));
    }

    @Test
    void savedRecordsLoadAndAreFoundThroughTheValueIndex() {
        db.run(ctx -> {
            FDBRecordStore s = store(ctx);
            for (long i = 0; i < 30; i++) {
                s.saveRecord(item(i, "n" + (i % 10), i * 2));
            }
            return null;
        });
        FDBStoredRecord<Message> loaded = db.run(ctx -> store(ctx).loadRecord(Tuple.from(7L)));
        assertThat(loaded).isNotNull();
        assertThat(get(loaded.getRecord(), "name")).isEqualTo("n7");
        assertThat(get(loaded.getRecord(), "qty")).isEqualTo(14L);
        assertThat(loaded.getVersion()).isNotNull();
        assertThat(loaded.getVersion().isComplete()).isTrue();

        RecordQuery query = RecordQuery.newBuilder().setRecordType("Item")
                .setFilter(Query.field("name").equalsValue("n3")).build();
        List<Long> ids = db.run(ctx -> {
            FDBRecordStore s = store(ctx);
            assertThat(s.planQuery(query).toString()).contains("Item$name");
            List<Long> out = new ArrayList<>();
            for (FDBQueriedRecord<Message> r : s.executeQuery(query).asList().join()) {
                out.add((Long) get(r.getRecord(), "id"));
            }
            return out;
        });
        assertThat(ids).containsExactlyInAnyOrder(3L, 13L, 23L);
    }

    @Test
    void versionIndexOrdersRecordsByCommitThenSaveOrder() {
        for (int batch = 0; batch < 3; batch++) {
            int b = batch;
            db.run(ctx -> {
                FDBRecordStore s = store(ctx);
                // Within one transaction ids go down while versions go up.
                for (long i = 4; i >= 0; i--) {
                    s.saveRecord(item(b * 10 + i, "v", 0));
                }
                return null;
            });
        }
        List<Long> byVersion = db.run(ctx -> {
            Index index = metaData.getIndex("Item$version");
            List<Long> out = new ArrayList<>();
            for (IndexEntry e : store(ctx).scanIndex(index, IndexScanType.BY_VALUE, TupleRange.ALL, null,
                    ScanProperties.FORWARD_SCAN).asList().join()) {
                out.add(e.getPrimaryKey().getLong(0));
            }
            return out;
        });
        assertThat(byVersion).containsExactly(4L, 3L, 2L, 1L, 0L, 14L, 13L, 12L, 11L, 10L, 24L, 23L, 22L, 21L, 20L);
    }

    @Test
    void continuationScanVisitsEveryRecordOnceInOrder() {
        db.run(ctx -> {
            FDBRecordStore s = store(ctx);
            for (long i = 0; i < 57; i++) {
                s.saveRecord(item(i, "c", i));
            }
            return null;
        });
        List<Long> seen = new ArrayList<>();
        byte[] continuation = null;
        int pages = 0;
        do {
            byte[] from = continuation;
            ScanProperties props = new ScanProperties(ExecuteProperties.newBuilder().setReturnedRowLimit(10).build());
            continuation = db.run(ctx -> {
                try (RecordCursor<FDBStoredRecord<Message>> cursor = store(ctx).scanRecords(TupleRange.ALL, from, props)) {
                    RecordCursorResult<FDBStoredRecord<Message>> r;
                    while ((r = cursor.getNext()).hasNext()) {
                        seen.add((Long) get(r.get().getRecord(), "id"));
                    }
                    return r.getContinuation().toBytes();
                }
            });
            pages++;
        } while (continuation != null);
        assertThat(pages).isEqualTo(6);
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 57; i++) {
            expected.add(i);
        }
        assertThat(seen).isEqualTo(expected);
    }

    @Test
    void deletedRecordDisappearsFromStoreAndIndex() {
        db.run(ctx -> store(ctx).saveRecord(item(1, "gone", 1)));
        Boolean deleted = db.run(ctx -> store(ctx).deleteRecord(Tuple.from(1L)));
        assertThat(deleted).isTrue();
        FDBStoredRecord<Message> reloaded = db.run(ctx -> store(ctx).loadRecord(Tuple.from(1L)));
        assertThat(reloaded).isNull();
        RecordQuery query = RecordQuery.newBuilder().setRecordType("Item")
                .setFilter(Query.field("name").equalsValue("gone")).build();
        List<FDBQueriedRecord<Message>> found = db.run(ctx -> store(ctx).executeQuery(query).asList().join());
        assertThat(found).isEmpty();
    }

    @Test
    void conflictingIncrementsAreBothAppliedThroughRetries() throws Exception {
        db.run(ctx -> store(ctx).saveRecord(item(42, "counter", 0)));
        CountDownLatch bothRead = new CountDownLatch(2);
        AtomicInteger attempts = new AtomicInteger();
        Runnable increment = () -> db.run(ctx -> {
            attempts.incrementAndGet();
            FDBRecordStore s = store(ctx);
            Message current = s.loadRecord(Tuple.from(42L)).getRecord();
            bothRead.countDown();
            try {
                // Only the first attempts wait, so that both read the same value and one must retry.
                bothRead.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            s.saveRecord(item(42, "counter", (Long) get(current, "qty") + 1));
            return null;
        });
        CompletableFuture<Void> a = CompletableFuture.runAsync(increment);
        CompletableFuture<Void> b = CompletableFuture.runAsync(increment);
        CompletableFuture.allOf(a, b).get(30, TimeUnit.SECONDS);
        Message after = db.run(ctx -> store(ctx).loadRecord(Tuple.from(42L)).getRecord());
        assertThat(get(after, "qty")).isEqualTo(2L);
        assertThat(attempts.get()).isGreaterThanOrEqualTo(3);
    }
}
