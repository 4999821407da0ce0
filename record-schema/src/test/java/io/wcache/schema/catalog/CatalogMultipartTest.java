package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.CatalogFixture.extents;
import static io.wcache.schema.catalog.CatalogFixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CatalogMultipartTest {

    private final TestClock clock = new TestClock();
    private final Catalog catalog = CatalogFixture.newCatalog(clock);
    private final NamespacePath path = NamespacePath.of("/s3/big");

    private long putPart(String upload, int number, int chunks) {
        long id = catalog.files().reserveFileId();
        catalog.multipart().putPart(upload, number, id, extents(id, chunks, 10), chunks * 10L, "etag" + number);
        return id;
    }

    @Test
    void completedUploadBecomesOneVersionWhoseExtentsPointAtThePartsBytes() {
        CommitResult old = write(catalog, "/s3/big", WritePolicy.WRITE_BACK, 1, 3);
        MultipartUploadInfo u = catalog.multipart().createUpload(new BeginRequest(path, WritePolicy.WRITE_BACK, 1, "w1", List.of(),
                "application/x-tar", Map.of("a", "b")));
        long p1 = putPart(u.uploadId(), 1, 2);
        long p2old = putPart(u.uploadId(), 2, 1);
        // Re-uploading part 2 replaces it and hands back the old bytes.
        long p2 = catalog.files().reserveFileId();
        assertThat(catalog.multipart().putPart(u.uploadId(), 2, p2, extents(p2, 3, 10), 30, "etag2"))
                .singleElement().satisfies(e -> assertThat(e.fileId()).isEqualTo(p2old));
        long p3 = putPart(u.uploadId(), 3, 1);
        assertThat(catalog.multipart().parts(u.uploadId())).extracting(PartInfo::partNumber).containsExactly(1, 2, 3);
        assertThat(catalog.multipart().uploads("/s3/", 10)).extracting(MultipartUploadInfo::uploadId).containsExactly(u.uploadId());

        CompleteUploadResult done = catalog.multipart().completeUpload(u.uploadId(),
                List.of(new CompletedPart(1, "\"etag1\""), new CompletedPart(2, "etag2")), "md5-2", 9);
        assertThat(done.discardedExtents()).singleElement().satisfies(e -> assertThat(e.fileId()).isEqualTo(p3));
        assertThat(done.commit().superseded()).contains(old.committed());
        assertThat(done.commit().persistQueued()).isTrue();
        FileLayout layout = catalog.files().layout(path).orElseThrow();
        assertThat(layout.file().size()).isEqualTo(50);
        assertThat(layout.file().contentType()).isEqualTo("application/x-tar");
        assertThat(layout.file().userMetadata()).containsEntry("a", "b");
        assertThat(layout.extents()).extracting(Extent::offset).containsExactly(0L, 10L, 20L, 30L, 40L);
        assertThat(layout.extents()).extracting(Extent::segment).containsExactly(p1, p1, p2, p2, p2);
        assertThat(layout.extents()).allMatch(e -> e.fileId() == layout.file().fileId());
        assertThat(catalog.files().extents(p1)).isEmpty();
        assertThat(catalog.multipart().upload(u.uploadId())).isEmpty();
        assertThat(catalog.cluster().spaceUsage("w1").pinnedBytes()).isEqualTo(50);
    }

    @Test
    void standardHeadersGivenAtCreationApplyToTheCompletedObject() {
        MultipartUploadInfo u = catalog.multipart().createUpload(new BeginRequest(path, WritePolicy.WRITE_BACK, 1, "w1", List.of(),
                "text/html", Map.of(), Map.of("Content-Language", "fr", "Cache-Control", "no-cache")));
        assertThat(catalog.multipart().upload(u.uploadId()).orElseThrow().standardHeaders())
                .containsExactly(Map.entry("cache-control", "no-cache"), Map.entry("content-language", "fr"));
        putPart(u.uploadId(), 1, 1);
        catalog.multipart().completeUpload(u.uploadId(), List.of(new CompletedPart(1, "etag1")), "md5-1", 0);
        assertThat(catalog.files().lookup(path).orElseThrow().standardHeaders())
                .containsExactly(Map.entry("cache-control", "no-cache"), Map.entry("content-language", "fr"));
    }

    @Test
    void completeRefusesUnknownPartsWrongEtagsAndBadOrderWithoutChangingAnything() {
        MultipartUploadInfo u = catalog.multipart().createUpload(BeginRequest.of(path, WritePolicy.WRITE_BACK, "w1"));
        putPart(u.uploadId(), 1, 1);
        putPart(u.uploadId(), 2, 1);
        assertThatThrownBy(() -> catalog.multipart().completeUpload(u.uploadId(), List.of(new CompletedPart(3, "etag3")), "", 0))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("not uploaded");
        assertThatThrownBy(() -> catalog.multipart().completeUpload(u.uploadId(), List.of(new CompletedPart(1, "nope")), "", 0))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("ETag");
        assertThatThrownBy(() -> catalog.multipart().completeUpload(u.uploadId(),
                List.of(new CompletedPart(2, "etag2"), new CompletedPart(1, "etag1")), "", 0))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("ascending");
        assertThat(catalog.multipart().parts(u.uploadId())).hasSize(2);
        assertThat(catalog.files().lookup(path)).isEmpty();
        assertThatThrownBy(() -> catalog.multipart().completeUpload("no-such-upload", List.of(new CompletedPart(1, "e")), "", 0))
                .isInstanceOf(WcacheException.NotFound.class);
        assertThatThrownBy(() -> catalog.multipart().putPart(u.uploadId(), 0, 1, List.of(), 0, ""))
                .isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void abortReturnsEveryPartsExtentsAndForgetsTheUpload() {
        MultipartUploadInfo u = catalog.multipart().createUpload(BeginRequest.of(path, WritePolicy.TRANSIENT, "w1"));
        putPart(u.uploadId(), 1, 2);
        putPart(u.uploadId(), 5, 3);
        assertThat(catalog.multipart().abortUpload(u.uploadId())).hasSize(5);
        assertThat(catalog.multipart().upload(u.uploadId())).isEmpty();
        assertThatThrownBy(() -> catalog.multipart().parts(u.uploadId())).isInstanceOf(WcacheException.NotFound.class);
        assertThatThrownBy(() -> catalog.multipart().abortUpload(u.uploadId())).isInstanceOf(WcacheException.NotFound.class);
    }
}
