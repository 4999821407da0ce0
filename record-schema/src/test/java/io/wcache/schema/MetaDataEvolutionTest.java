package io.wcache.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.apple.foundationdb.record.RecordMetaData;
import com.apple.foundationdb.record.RecordMetaDataBuilder;
import com.apple.foundationdb.record.RecordMetaDataProto;
import com.apple.foundationdb.record.metadata.Key;
import com.apple.foundationdb.record.metadata.MetaDataEvolutionValidator;
import com.apple.foundationdb.record.metadata.MetaDataException;
import com.apple.foundationdb.record.RecordMetaDataOptionsProto;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every released meta-data version is kept as a text snapshot under
 * {@code src/test/resources/io/wcache/schema/history/vN.textproto}; each must be a valid
 * evolution of the one before, and the current meta-data must equal the newest snapshot or be a
 * valid evolution of it with a higher version. Stored metadata can then always be opened by the
 * newer code.
 */
class MetaDataEvolutionTest {

    private static final MetaDataEvolutionValidator VALIDATOR = MetaDataEvolutionValidator.getDefaultInstance();

    static RecordMetaData snapshot(int version) throws IOException {
        try (InputStream in = MetaDataEvolutionTest.class.getResourceAsStream("history/v" + version + ".textproto")) {
            if (in == null) {
                return null;
            }
            ExtensionRegistry registry = ExtensionRegistry.newInstance();
            RecordMetaDataOptionsProto.registerAllExtensions(registry);
            RecordMetaDataProto.MetaData.Builder proto = RecordMetaDataProto.MetaData.newBuilder();
            TextFormat.getParser().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), registry, proto);
            return RecordMetaData.build(proto.build());
        }
    }

    static String text(RecordMetaData metaData) {
        return TextFormat.printer().printToString(metaData.toProto());
    }

    @Test
    void everySnapshotEvolvesValidlyFromThePreviousOne() throws IOException {
        List<RecordMetaData> history = new ArrayList<>();
        for (int v = 1; ; v++) {
            RecordMetaData m = snapshot(v);
            if (m == null) {
                break;
            }
            assertThat(m.getVersion()).as("snapshot v%d records its own version", v).isEqualTo(v);
            history.add(m);
        }
        assertThat(history).as("at least the first released version is snapshotted").isNotEmpty();
        for (int i = 1; i < history.size(); i++) {
            VALIDATOR.validate(history.get(i - 1), history.get(i));
        }
    }

    @Test
    void currentMetaDataIsTheNewestSnapshotOrAValidEvolutionOfIt() throws IOException {
        RecordMetaData current = WcacheMetaData.metaData();
        RecordMetaData same = snapshot(WcacheMetaData.VERSION);
        if (same != null) {
            assertThat(text(current)).as("meta-data changed without bumping WcacheMetaData.VERSION")
                    .isEqualTo(text(same));
            return;
        }
        RecordMetaData previous = snapshot(WcacheMetaData.VERSION - 1);
        Path out = Path.of("target", "v" + WcacheMetaData.VERSION + ".textproto");
        Files.createDirectories(out.getParent());
        Files.writeString(out, text(current));
        if (previous != null) {
            VALIDATOR.validate(previous, current);
        }
        fail("no snapshot of meta-data version " + WcacheMetaData.VERSION + ": copy " + out.toAbsolutePath()
                + " to src/test/resources/io/wcache/schema/history/ and commit it with the change");
    }

    @Test
    void validatorRejectsAnEvolutionThatWouldOrphanStoredRecords() throws IOException {
        RecordMetaData released = snapshot(1);
        // Changing a primary key makes every stored File unreachable.
        RecordMetaDataBuilder changedKey = RecordMetaData.newBuilder().setRecords(released.toProto());
        changedKey.getRecordType("File").setPrimaryKey(Key.Expressions.field("path"));
        changedKey.setVersion(released.getVersion() + 1);
        assertThatThrownBy(() -> VALIDATOR.validate(released, changedKey.getRecordMetaData()))
                .isInstanceOf(MetaDataException.class);
        // Dropping an index without leaving a former index behind leaves its entries stranded.
        RecordMetaDataProto.MetaData.Builder dropped = released.toProto().toBuilder();
        dropped.removeIndexes(0).setVersion(released.getVersion() + 1);
        assertThatThrownBy(() -> VALIDATOR.validate(released, RecordMetaData.build(dropped.build())))
                .isInstanceOf(MetaDataException.class);
    }
}
