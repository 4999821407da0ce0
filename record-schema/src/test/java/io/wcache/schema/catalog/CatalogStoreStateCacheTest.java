package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.CatalogFixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordContext;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordContextConfig;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordStore;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.WcacheMetaData;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The Catalog opens its record store from a state cache checked against the database's meta-data
 * version stamp: a transaction does not re-read the store header, and a state change made
 * elsewhere (another worker, an operator) is still seen at once.
 */
class CatalogStoreStateCacheTest {

    private final TestClock clock = new TestClock();
    private final Catalog catalog = CatalogFixture.newCatalog(clock);
    private final FDBDatabase database = CatalogFixture.engine().recordDatabase();

    private FDBRecordStore.Builder builder(FDBRecordContext ctx) {
        // Placed as the Catalog places its store (by its resolved subspace, which keys the cache).
        return CatalogTransactions.storeBuilder().setContext(ctx)
                .setSubspace(CatalogKeySpace.records(catalog.name()).toSubspace(ctx));
    }

    @Test
    void aStoreOpenAfterTheFirstIsServedFromTheCache() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);

        FDBStoreTimer timer = new FDBStoreTimer();
        try (FDBRecordContext ctx = database.openContext(FDBRecordContextConfig.newBuilder().setTimer(timer).build())) {
            FDBRecordStore store = builder(ctx).setStoreStateCache(catalog.storeStateCache()).open();
            assertThat(store.getRecordStoreState().getStoreHeader().getCacheable())
                    .as("the Catalog made its store cacheable").isTrue();
        }
        assertThat(timer.getCount(FDBStoreTimer.Counts.STORE_STATE_CACHE_HIT)).isEqualTo(1);
        assertThat(timer.getCount(FDBStoreTimer.Counts.STORE_STATE_CACHE_MISS)).isZero();
    }

    @Test
    void aStateChangeMadeOutsideTheCatalogIsSeenByItsNextTransaction() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        assertThat(catalog.persistQueue().dueTasks(Instant.now().plusSeconds(60), 10)).hasSize(1);

        // Another process disables the index the persist queue is scanned by. A stale cached state
        // would still call it readable and scan it.
        database.run(ctx -> builder(ctx).open().markIndexDisabled(WcacheMetaData.TASK_BY_NEXT_ATTEMPT).join());

        assertThatThrownBy(() -> catalog.persistQueue().dueTasks(Instant.now().plusSeconds(60), 10))
                .hasStackTraceContaining("non-readable index");
    }
}
