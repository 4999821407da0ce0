package io.wcache.persister.ufs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.persister.testing.PatternSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The behaviour every {@link UnderFileSystem} must show, run against each implementation by a
 * subclass that supplies a fresh, empty UFS. Not matched by Surefire on its own.
 */
abstract class UnderFileSystemContract {

    /** An empty UFS; the subclass closes it after each test. */
    protected abstract UnderFileSystem ufs();

    protected static UploadSource bytes(String s) {
        return UploadSource.ofBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    protected static String read(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    protected static String md5(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 10 * 1024, 10 * 1024 * 1024})
    void objectsArriveByteIdenticalWithTheirSize(int size) throws Exception {
        PatternSource source = new PatternSource(size, size);
        UfsObject put = ufs().put("sizes/obj-" + size, source, PutOptions.DEFAULT);
        assertThat(put.size()).isEqualTo(size);
        assertThat(ufs().head("sizes/obj-" + size)).get().extracting(UfsObject::size).isEqualTo((long) size);
        try (InputStream in = ufs().get("sizes/obj-" + size)) {
            assertThat(PatternSource.sha256(in)).isEqualTo(source.sha256());
        }
        try (InputStream in = ufs().get("sizes/obj-" + size, 0, 10)) {
            assertThat(in.readAllBytes()).hasSize(Math.min(size, 10));
        }
    }

    @Test
    void headReturnsContentTypeUserMetadataAndMd5Etag() throws Exception {
        PutOptions options = PutOptions.contentType("text/plain").withUserMetadata(Map.of("owner", "alice", "x-y", "1"));
        UfsObject put = ufs().put("docs/readme.txt", bytes("hello"), options);
        assertThat(put.etag()).isEqualTo(md5("hello"));
        UfsObject head = ufs().head("docs/readme.txt").orElseThrow();
        assertThat(head.key()).isEqualTo("docs/readme.txt");
        assertThat(head.size()).isEqualTo(5);
        assertThat(head.etag()).isEqualTo(md5("hello"));
        assertThat(head.contentType()).isEqualTo("text/plain");
        assertThat(head.userMetadata()).containsExactlyInAnyOrderEntriesOf(Map.of("owner", "alice", "x-y", "1"));
    }

    @Test
    void putReplacesTheWholeObject() throws Exception {
        ufs().put("k", bytes("a much longer first version"), PutOptions.DEFAULT);
        ufs().put("k", bytes("v2"), PutOptions.contentType("text/x-two"));
        assertThat(read(ufs().get("k"))).isEqualTo("v2");
        assertThat(ufs().head("k")).get().satisfies(o -> {
            assertThat(o.size()).isEqualTo(2);
            assertThat(o.contentType()).isEqualTo("text/x-two");
        });
    }

    @Test
    void rangedGetReturnsExactlyTheRequestedBytes() throws Exception {
        ufs().put("r", bytes("0123456789"), PutOptions.DEFAULT);
        assertThat(read(ufs().get("r", 2, 3))).isEqualTo("234");
        assertThat(read(ufs().get("r", 7, -1))).isEqualTo("789");
        assertThat(read(ufs().get("r", 8, 100))).isEqualTo("89");
        assertThat(read(ufs().get("r", 10, -1))).isEmpty();
        assertThat(read(ufs().get("r", 4, 0))).isEmpty();
        assertThatThrownBy(() -> ufs().get("r", 11, 1))
                .isInstanceOf(WcacheException.InvalidArgument.class)
                .satisfies(e -> assertThat(((WcacheException) e).subject()).endsWith("/r"));
    }

    @Test
    void missingObjectIsNotFoundNamingUfsAndKey() {
        assertThatThrownBy(() -> ufs().get("no/such/key"))
                .isInstanceOf(WcacheException.NotFound.class)
                .satisfies(e -> assertThat(((WcacheException) e).subject()).isEqualTo(ufs().uri() + "/no/such/key"));
        assertThat(ufs().head("no/such/key")).isEmpty();
    }

    @Test
    void deleteRemovesTheObjectAndIsIdempotent() throws Exception {
        ufs().put("d/x", bytes("x"), PutOptions.DEFAULT);
        ufs().put("d/y", bytes("y"), PutOptions.DEFAULT);
        ufs().delete("d/x");
        ufs().delete("d/x");
        ufs().delete("never/existed");
        assertThat(ufs().head("d/x")).isEmpty();
        assertThat(read(ufs().get("d/y"))).isEqualTo("y");
        assertThat(keys(ufs().list("", null, null, 100))).containsExactly("d/y");
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "/a", "a//b", "a/./b", "a/../b", "../a", "a//", "/", "a/./", ".", "..", "a\u0000b"})
    void invalidKeysAreRefusedWithoutTouchingTheUfs(String key) {
        for (Runnable call : List.<Runnable>of(
                () -> ufs().put(key, bytes("x"), PutOptions.DEFAULT),
                () -> ufs().get(key),
                () -> ufs().head(key),
                () -> ufs().delete(key))) {
            assertThatThrownBy(call::run).isInstanceOf(WcacheException.InvalidPath.class);
        }
        assertThat(ufs().list("", null, null, 100).objects()).isEmpty();
    }

    @Test
    void anEmptyFolderMarkerIsAnObjectOfItsOwn() throws Exception {
        // (objects under the marker are not part of the contract: a file-system-backed s3proxy cannot delete
        // a marker whose directory holds more; the local UFS test covers that)
        UfsObject put = ufs().put("fm/d/", bytes(""), PutOptions.DEFAULT);
        assertThat(put.key()).isEqualTo("fm/d/");
        assertThat(ufs().head("fm/d/")).hasValueSatisfying(o -> assertThat(o.size()).isZero());
        assertThat(read(ufs().get("fm/d/"))).isEmpty();
        assertThat(ufs().head("fm/d")).isEmpty();
        ufs().delete("fm/d/");
        assertThat(ufs().head("fm/d/")).isEmpty();
    }

    @Test
    void listWithDelimiterRollsUpCommonPrefixesInKeyOrder() {
        for (String k : List.of("a/b/c", "a/b/d", "a/c", "a.txt", "a-b", "a0", "b/x/y/z", "top")) {
            ufs().put(k, bytes(k), PutOptions.DEFAULT);
        }
        UfsListing root = ufs().list("", "/", null, 100);
        assertThat(keys(root)).containsExactly("a-b", "a.txt", "a0", "top");
        assertThat(root.commonPrefixes()).containsExactly("a/", "b/");
        assertThat(root.truncated()).isFalse();

        UfsListing inA = ufs().list("a/", "/", null, 100);
        assertThat(keys(inA)).containsExactly("a/c");
        assertThat(inA.commonPrefixes()).containsExactly("a/b/");

        assertThat(keys(ufs().list("a", null, null, 100)))
                .containsExactly("a-b", "a.txt", "a/b/c", "a/b/d", "a/c", "a0");
        assertThat(keys(ufs().list("a/b/", null, null, 100))).containsExactly("a/b/c", "a/b/d");
        assertThat(ufs().list("nothing/", "/", null, 100).objects()).isEmpty();
        assertThat(ufs().list("", "/", null, 100).objects()).allSatisfy(o -> assertThat(o.etag()).isNotEmpty());
    }

    @Test
    void listRollsUpAtAnyDelimiterNotOnlySlash() {
        for (String k : List.of("x-1-a", "x-1-b", "x-2", "y")) {
            ufs().put(k, bytes(k), PutOptions.DEFAULT);
        }
        UfsListing listing = ufs().list("x-", "-", null, 10);
        assertThat(listing.commonPrefixes()).containsExactly("x-1-");
        assertThat(keys(listing)).containsExactly("x-2");
    }

    @Test
    void listPagesWithContinuationCoverEverythingOnce() {
        List<String> expected = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            for (int f = 0; f < 4; f++) {
                String k = "p/d" + d + "/f" + f;
                ufs().put(k, bytes(k), PutOptions.DEFAULT);
                expected.add(k);
            }
            ufs().put("p/e" + d, bytes("e"), PutOptions.DEFAULT);
        }
        List<String> flat = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            UfsListing page = ufs().list("p/", null, token, 5);
            assertThat(page.objects().size()).isLessThanOrEqualTo(5);
            flat.addAll(keys(page));
            token = page.nextContinuation();
            pages++;
        } while (token != null && pages < 20);
        assertThat(flat).containsExactly("p/d0/f0", "p/d0/f1", "p/d0/f2", "p/d0/f3", "p/d1/f0", "p/d1/f1", "p/d1/f2",
                "p/d1/f3", "p/d2/f0", "p/d2/f1", "p/d2/f2", "p/d2/f3", "p/e0", "p/e1", "p/e2");

        List<String> rolled = new ArrayList<>();
        token = null;
        pages = 0;
        do {
            UfsListing page = ufs().list("p/", "/", token, 2);
            assertThat(page.objects().size() + page.commonPrefixes().size()).isLessThanOrEqualTo(2);
            rolled.addAll(page.commonPrefixes());
            rolled.addAll(keys(page));
            token = page.nextContinuation();
            pages++;
        } while (token != null && pages < 20);
        assertThat(rolled).containsExactlyInAnyOrder("p/d0/", "p/d1/", "p/d2/", "p/e0", "p/e1", "p/e2");
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void fetchDescribesAnObjectAsHeadDoesWithItsFirstBytesAndTheRestToRead() throws Exception {
        byte[] small = "a small object's bytes".getBytes(StandardCharsets.UTF_8);
        ufs().put("f/small", UploadSource.ofBytes(small), new PutOptions("text/plain", Map.of("k", "v")));
        UfsObject head = ufs().head("f/small").orElseThrow();
        try (UfsFetched f = ufs().fetch("f/small", 1024).orElseThrow()) {
            assertThat(f.first()).isEqualTo(small);
            assertThat(f.whole()).isTrue();
            assertThat(f.rest().read()).as("nothing after a whole object").isEqualTo(-1);
            assertThat(f.head().size()).isEqualTo(head.size());
            assertThat(f.head().etag()).isEqualTo(head.etag());
            assertThat(f.head().contentType()).isEqualTo(head.contentType());
            assertThat(f.head().userMetadata()).isEqualTo(head.userMetadata());
            assertThat(f.head().standardHeaders()).isEqualTo(head.standardHeaders());
        }

        byte[] big = new byte[5000];
        new java.util.Random(5).nextBytes(big);
        ufs().put("f/big", UploadSource.ofBytes(big), PutOptions.DEFAULT);
        try (UfsFetched part = ufs().fetch("f/big", 1000).orElseThrow()) {
            assertThat(part.head().size()).as("the whole object's size").isEqualTo(5000);
            assertThat(part.first()).isEqualTo(java.util.Arrays.copyOf(big, 1000));
            assertThat(part.whole()).isFalse();
            assertThat(part.rest().readAllBytes()).as("the rest, from the same read")
                    .isEqualTo(java.util.Arrays.copyOfRange(big, 1000, 5000));
        }
        try (UfsFetched unread = ufs().fetch("f/big", 10).orElseThrow()) {
            assertThat(unread.first()).hasSize(10);
        }
        assertThat(ufs().head("f/big")).as("closing with the rest unread leaves the UFS usable").isPresent();

        ufs().put("f/empty", UploadSource.ofBytes(new byte[0]), PutOptions.DEFAULT);
        try (UfsFetched empty = ufs().fetch("f/empty", 1000).orElseThrow()) {
            assertThat(empty.head().size()).isZero();
            assertThat(empty.first()).isEmpty();
            assertThat(empty.whole()).isTrue();
        }

        assertThat(ufs().fetch("f/none", 1000)).isEmpty();
    }

    @Test
    void listStartsAfterAKeyThatNeedNotExistAndATokenWinsOverIt() {
        for (String k : List.of("s/a", "s/b/1", "s/b/2", "s/c", "s/d/1", "s/e")) {
            ufs().put(k, bytes(k), PutOptions.DEFAULT);
        }
        assertThat(keys(ufs().list("s/", null, "s/b/1", null, 100))).containsExactly("s/b/2", "s/c", "s/d/1", "s/e");
        assertThat(keys(ufs().list("s/", null, "s/bz", null, 100))).as("a start key that is no object")
                .containsExactly("s/c", "s/d/1", "s/e");
        UfsListing rolled = ufs().list("s/", "/", "s/b/", null, 100);
        assertThat(keys(rolled)).containsExactly("s/c", "s/e");
        assertThat(rolled.commonPrefixes()).as("keys after the start roll up as usual").contains("s/d/")
                .doesNotContain("s/a");
        assertThat(keys(ufs().list("s/", null, "a", null, 100))).as("a start before the prefix")
                .containsExactly("s/a", "s/b/1", "s/b/2", "s/c", "s/d/1", "s/e");
        assertThat(ufs().list("s/", null, "s/z", null, 100).objects()).isEmpty();

        // Pages of two, each call also naming the start: the token, once there is one, says where to go on.
        List<String> paged = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            UfsListing page = ufs().list("s/", null, "s/a", token, 2);
            paged.addAll(keys(page));
            token = page.nextContinuation();
        } while (token != null && ++pages < 20);
        assertThat(paged).containsExactly("s/b/1", "s/b/2", "s/c", "s/d/1", "s/e");
    }

    @Test
    void sourceShorterThanDeclaredIsRefusedAndOldObjectSurvives() throws Exception {
        ufs().put("s", bytes("original"), PutOptions.DEFAULT);
        UploadSource liar = new UploadSource() {
            @Override
            public long length() {
                return 100;
            }

            @Override
            public InputStream open(long offset, long length) {
                return InputStream.nullInputStream();
            }
        };
        assertThatThrownBy(() -> ufs().put("s", liar, PutOptions.DEFAULT)).isInstanceOf(WcacheException.class);
        assertThat(read(ufs().get("s"))).isEqualTo("original");
    }

    @Test
    void sourceFailingMidwayLeavesTheOldObjectIntact() throws Exception {
        ufs().put("f", bytes("original"), PutOptions.DEFAULT);
        UploadSource failing = new UploadSource() {
            @Override
            public long length() {
                return 1 << 20;
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                InputStream good = new PatternSource(1 << 20, 1).open(offset, length);
                return new InputStream() {
                    private long read;

                    @Override
                    public int read() throws IOException {
                        byte[] b = new byte[1];
                        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        if (read > 300_000) {
                            throw new IOException("disk read error");
                        }
                        int n = good.read(b, off, Math.min(len, 65536));
                        read += Math.max(n, 0);
                        return n;
                    }
                };
            }
        };
        assertThatThrownBy(() -> ufs().put("f", failing, PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.class)
                .satisfies(e -> assertThat(((WcacheException) e).subject()).endsWith("/f"));
        assertThat(read(ufs().get("f"))).isEqualTo("original");
    }

    protected static List<String> keys(UfsListing listing) {
        return listing.objects().stream().map(UfsObject::key).toList();
    }
}
