package io.wcache.schema.catalog;

import java.time.Instant;

/** A worker as registered in metadata: its address, cache capacity and last heartbeat. */
public record WorkerInfo(String id, String address, long capacityBytes, Instant heartbeatTime, Instant startedTime) {
}
