package io.wcache.worker.cluster;

/**
 * What another worker did when asked to release extents it holds and reclaim at once ({@code wcadm
 * fs free} through any worker): the bytes of those extents, and the segment-file bytes its pass
 * freed; or why it could not be asked ({@code error}, the others' numbers then 0).
 */
public record PeerReclaim(String worker, long releasedBytes, long freedBytes, String error) {
}
