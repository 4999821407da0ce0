package io.wcache.persister.ufs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.persister.testing.PatternSource;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalUnderFileSystemTest extends UnderFileSystemContract {

    @TempDir
    Path temp;
    Path rootDir;
    LocalUnderFileSystem ufs;

    @BeforeEach
    void open() {
        rootDir = temp.resolve("ufs");
        ufs = (LocalUnderFileSystem) UnderFileSystem.open(URI.create("file://" + rootDir), Map.of());
    }

    @AfterEach
    void close() {
        ufs.close();
    }

    @Override
    protected UnderFileSystem ufs() {
        return ufs;
    }

    @Test
    void aFolderMarkerIsItsDirectorysMarkerFileListedFirstInItsOrder() throws Exception {
        ufs.put("a/b/", bytes("marker body"), PutOptions.contentType("application/x-directory"));
        ufs.put("a/b/!x", bytes("1"), PutOptions.DEFAULT);
        ufs.put("a/b/c/", bytes(""), PutOptions.DEFAULT);
        ufs.put("a/b0", bytes("2"), PutOptions.DEFAULT);
        assertThat(Files.readString(rootDir.resolve("a/b/" + LocalUnderFileSystem.FOLDER_MARKER_FILE)))
                .isEqualTo("marker body");
        assertThat(ufs.head("a/b/")).hasValueSatisfying(o -> {
            assertThat(o.size()).isEqualTo(11);
            assertThat(o.contentType()).isEqualTo("application/x-directory");
        });
        assertThat(keys(ufs.list("", null, null, 100))).containsExactly("a/b/", "a/b/!x", "a/b/c/", "a/b0");
        UfsListing inB = ufs.list("a/b/", "/", null, 100);
        assertThat(keys(inB)).containsExactly("a/b/", "a/b/!x");
        assertThat(inB.commonPrefixes()).containsExactly("a/b/c/");
        // paged one by one, every key once
        List<String> paged = new java.util.ArrayList<>();
        String token = null;
        for (int i = 0; i < 10; i++) {
            UfsListing page = ufs.list("a/", null, token, 1);
            paged.addAll(keys(page));
            token = page.nextContinuation();
            if (token == null) {
                break;
            }
        }
        assertThat(paged).containsExactly("a/b/", "a/b/!x", "a/b/c/", "a/b0");
        ufs.delete("a/b/c/");
        assertThat(rootDir.resolve("a/b/c")).doesNotExist();
        ufs.delete("a/b/");
        assertThat(keys(ufs.list("", null, null, 100))).containsExactly("a/b/!x", "a/b0");
        assertThatThrownBy(() -> ufs.put("a/" + LocalUnderFileSystem.FOLDER_MARKER_FILE, bytes("x"), PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.InvalidPath.class).hasMessageContaining("reserved");
    }

    @Test
    void twoHundredMebibyteObjectIsStreamedToDiskByteIdentical() throws Exception {
        PatternSource source = new PatternSource(200L << 20, 7);
        UfsObject put = ufs.put("big/200m", source, PutOptions.DEFAULT);
        assertThat(put.size()).isEqualTo(200L << 20);
        assertThat(Files.size(rootDir.resolve("big/200m"))).isEqualTo(200L << 20);
        try (InputStream in = Files.newInputStream(rootDir.resolve("big/200m"))) {
            assertThat(PatternSource.sha256(in)).isEqualTo(source.sha256());
        }
    }

    @Test
    void objectsArePlainFilesAndNoTemporaryFileRemains() throws Exception {
        ufs.put("a/b/c.txt", bytes("hello"), PutOptions.DEFAULT);
        assertThat(Files.readString(rootDir.resolve("a/b/c.txt"))).isEqualTo("hello");
        try (Stream<Path> temps = Files.list(rootDir.resolve(LocalUnderFileSystem.TEMP_DIR))) {
            assertThat(temps).isEmpty();
        }
        assertThat(ufs.list("", null, null, 100).objects()).extracting(UfsObject::key).containsExactly("a/b/c.txt");
    }

    /** As an S3 store refuses a body whose Content-MD5 differs, bytes that are not their known MD5's never land. */
    @Test
    void bytesThatDoNotMatchTheirKnownMd5AreCorruptionAndThePreviousFileStays() throws Exception {
        ufs.put("k", bytes("previous"), PutOptions.DEFAULT);
        UploadSource body = bytes("new body");
        UploadSource wrongMd5 = withMd5(body, "0123456789abcdef0123456789abcdef");
        assertThatThrownBy(() -> ufs.put("k", wrongMd5, PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.Corruption.class).hasMessageContaining("0123456789abcdef0123456789abcdef");
        assertThat(Files.readString(rootDir.resolve("k"))).isEqualTo("previous");
        try (Stream<Path> temps = Files.list(rootDir.resolve(LocalUnderFileSystem.TEMP_DIR))) {
            assertThat(temps).isEmpty();
        }
        UploadSource rightMd5 = withMd5(body, md5("new body"));
        assertThat(ufs.put("k", rightMd5, PutOptions.DEFAULT).etag()).isEqualTo(md5("new body"));
    }

    /** {@code body}, saying its MD5 is {@code md5Hex} (true or not). */
    private static UploadSource withMd5(UploadSource body, String md5Hex) {
        return new UploadSource() {
            @Override
            public long length() {
                return body.length();
            }

            @Override
            public InputStream open(long offset, long length) throws java.io.IOException {
                return body.open(offset, length);
            }

            @Override
            public java.util.Optional<String> md5Hex() {
                return java.util.Optional.of(md5Hex);
            }
        };
    }

    @Test
    void temporaryDirectoryIsReservedAndNeverListed() {
        assertThatThrownBy(() -> ufs.put(".wcache-tmp/x", bytes("x"), PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.InvalidPath.class);
        assertThat(ufs.list("", "/", null, 100).commonPrefixes()).isEmpty();
    }

    @Test
    void keyThatIsAPrefixOfAnotherKeyIsAConflict() throws Exception {
        ufs.put("a/b", bytes("file"), PutOptions.DEFAULT);
        assertThatThrownBy(() -> ufs.put("a/b/c", bytes("x"), PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.Conflict.class)
                .hasMessageContaining("'a/b' is an object")
                .satisfies(e -> assertThat(((WcacheException) e).subject()).isEqualTo(ufs.uri() + "/a/b/c"));

        ufs.put("x/y/z", bytes("deep"), PutOptions.DEFAULT);
        assertThatThrownBy(() -> ufs.put("x/y", bytes("x"), PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.Conflict.class);

        assertThat(read(ufs.get("a/b"))).isEqualTo("file");
        assertThat(read(ufs.get("x/y/z"))).isEqualTo("deep");
        assertThat(ufs.head("a/b/c")).isEmpty();
        assertThat(ufs.head("x/y")).isEmpty();
        ufs.delete("x/y");
        assertThat(read(ufs.get("x/y/z"))).isEqualTo("deep");
    }

    @Test
    void symlinksLeadingOutsideTheRootAreRefused() throws Exception {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createDirectories(rootDir);
        Files.createSymbolicLink(rootDir.resolve("escape"), outside);
        Files.createSymbolicLink(rootDir.resolve("secret-link"), outside.resolve("secret"));

        assertThatThrownBy(() -> ufs.put("escape/new", bytes("x"), PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.InvalidPath.class).hasMessageContaining("outside the UFS root");
        assertThatThrownBy(() -> ufs.get("escape/secret")).isInstanceOf(WcacheException.InvalidPath.class);
        assertThatThrownBy(() -> ufs.head("escape/secret")).isInstanceOf(WcacheException.InvalidPath.class);
        assertThatThrownBy(() -> ufs.delete("escape/secret")).isInstanceOf(WcacheException.InvalidPath.class);
        assertThatThrownBy(() -> ufs.get("secret-link")).isInstanceOf(WcacheException.InvalidPath.class);
        assertThat(ufs.list("escape/", null, null, 10).objects()).isEmpty();

        assertThat(ufs.list("", null, null, 100).objects()).isEmpty();
        assertThat(Files.exists(outside.resolve("new"))).isFalse();
        assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("secret");
    }

    @Test
    void symlinkedFileInsideTheRootIsReadable() throws Exception {
        ufs.put("real/data", bytes("data"), PutOptions.DEFAULT);
        Files.createSymbolicLink(rootDir.resolve("alias"), rootDir.resolve("real/data"));
        assertThat(read(ufs.get("alias"))).isEqualTo("data");
        assertThat(keys(ufs.list("", null, null, 10))).containsExactly("alias", "real/data");
        ufs.delete("alias");
        assertThat(Files.exists(rootDir.resolve("alias"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(read(ufs.get("real/data"))).isEqualTo("data");
    }

    @Test
    void emptyDirectoriesAreNotObjectsAndDeletePrunesThem() throws Exception {
        Files.createDirectories(rootDir.resolve("empty/inner"));
        assertThat(ufs.list("", "/", null, 100).commonPrefixes()).isEmpty();
        assertThat(ufs.list("", null, null, 100).objects()).isEmpty();
        assertThat(ufs.head("empty")).isEmpty();

        ufs.put("p/q/r", bytes("r"), PutOptions.DEFAULT);
        ufs.delete("p/q/r");
        assertThat(Files.exists(rootDir.resolve("p"))).isFalse();
        assertThat(Files.isDirectory(rootDir)).isTrue();
    }

    @Test
    void listingSortsByUtf8BytesNotUtf16() {
        // U+1F600 sorts after U+FFFD in UTF-8 (and in S3) but before it in UTF-16.
        List<String> keys = List.of("z\uD83D\uDE00", "z\uFFFD", "z\u00e9", "zz");
        for (String k : keys) {
            ufs.put(k, bytes(k), PutOptions.DEFAULT);
        }
        assertThat(keys(ufs.list("z", null, null, 10))).containsExactly("zz", "z\u00e9", "z\uFFFD", "z\uD83D\uDE00");
    }

    @Test
    void aDirectoryIsPlacedAsNameSlashAmongSiblingsItsNameIsAPrefixOf() {
        // Read by name, directory "a" sorts before "a-1"; as keys, "a/x" sorts after "a-1" and "a.txt"
        // ('-' and '.' are below '/'), and "a b/y" after "a b.c" but before "a0".
        List<String> keys = List.of("o/a/x", "o/a-1", "o/a.txt", "o/a0", "o/a b/y", "o/a b.c", "o/a b/c/d", "o/b",
                "o/b-/z", "o/b-.1", "o/c!");
        for (String k : keys) {
            ufs.put(k, bytes(k), PutOptions.DEFAULT);
        }
        List<String> sorted = keys.stream().sorted(UfsKeys::compareUtf8).toList();
        assertThat(keys(ufs.list("o/", null, null, 100))).containsExactlyElementsOf(sorted);
        List<String> paged = new java.util.ArrayList<>();
        String token = null;
        do {
            UfsListing page = ufs.list("o/", null, token, 2);
            paged.addAll(keys(page));
            token = page.nextContinuation();
        } while (token != null);
        assertThat(paged).as("pages of two").containsExactlyElementsOf(sorted);
        for (int i = 0; i < sorted.size(); i++) {
            assertThat(keys(ufs.list("o/", null, sorted.get(i), null, 100))).as("after %s", sorted.get(i))
                    .containsExactlyElementsOf(sorted.subList(i + 1, sorted.size()));
        }
        assertThat(ufs.list("o/", "/", null, 100).commonPrefixes()).containsExactly("o/a b/", "o/a/", "o/b-/");
    }

    @Test
    void aLargeDirectoryListsTheSameAcrossPagesAndShowsChangesMadeBetweenThem() throws Exception {
        // Large enough that its sorted entries are kept between pages; its time set back so they are.
        Path dir = Files.createDirectories(rootDir.resolve("big"));
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < SortedDirs.CACHED_MIN_ENTRIES + 200; i++) {
            String name = String.format("f%05d", i);
            Files.writeString(dir.resolve(name), name);
            keys.add("big/" + name);
        }
        ufs.put("big/g-x", bytes("x"), PutOptions.DEFAULT);
        ufs.put("big/g/in", bytes("in"), PutOptions.DEFAULT); // a directory: "g/" sorts after "g-x"
        keys.add("big/g-x");
        keys.add("big/g/in");
        Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minusSeconds(3600)));
        List<String> sorted = keys.stream().sorted(UfsKeys::compareUtf8).toList();
        assertThat(pagedKeys("big/", 100)).containsExactlyElementsOf(sorted);
        assertThat(pagedKeys("big/", 100)).as("again, from kept entries").containsExactlyElementsOf(sorted);

        Files.writeString(dir.resolve("a-new"), "n"); // the directory's time moves on
        Files.delete(dir.resolve("f00007"));
        List<String> changed = new java.util.ArrayList<>(sorted);
        changed.add(0, "big/a-new");
        changed.remove("big/f00007");
        assertThat(pagedKeys("big/", 100)).as("after an entry is added and one removed").containsExactlyElementsOf(changed);
        Files.writeString(dir.resolve("f00001"), "rewritten, longer");
        assertThat(ufs.list("big/", null, "big/f00000", null, 1).objects().get(0).size())
                .as("attributes are read fresh").isEqualTo("rewritten, longer".length());
    }

    private List<String> pagedKeys(String prefix, int pageSize) {
        List<String> all = new java.util.ArrayList<>();
        String token = null;
        do {
            UfsListing page = ufs.list(prefix, null, token, pageSize);
            all.addAll(keys(page));
            token = page.nextContinuation();
        } while (token != null);
        return all;
    }

    @Test
    void filesWrittenWithoutWcacheAreListedWithAnEtagThatChangesWithTheFile() throws Exception {
        Files.createDirectories(rootDir.resolve("ext"));
        Path file = rootDir.resolve("ext/f");
        Files.writeString(file, "one");
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2024-01-01T00:00:00Z")));
        UfsObject first = ufs.head("ext/f").orElseThrow();
        assertThat(first.contentType()).isEqualTo(PutOptions.DEFAULT_CONTENT_TYPE);
        assertThat(read(ufs.get("ext/f"))).isEqualTo("one");

        ufs.put("ext/g", bytes("two"), PutOptions.DEFAULT);
        // Rewritten in place: the stored MD5 no longer describes the bytes and must not be reported.
        Files.writeString(rootDir.resolve("ext/g"), "TWO!");
        UfsObject rewritten = ufs.head("ext/g").orElseThrow();
        assertThat(rewritten.etag()).isNotEqualTo(md5("two"));
        assertThat(rewritten.size()).isEqualTo(4);

        Files.writeString(file, "one but changed");
        assertThat(ufs.head("ext/f").orElseThrow().etag()).isNotEqualTo(first.etag());
    }

    @Test
    void reopeningRemovesTemporaryFilesLeftByACrashButNotFreshOnes() throws Exception {
        Path tmp = rootDir.resolve(LocalUnderFileSystem.TEMP_DIR);
        Path stale = Files.writeString(tmp.resolve("stale.part"), "half a body");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minusSeconds(7200)));
        Path fresh = Files.writeString(tmp.resolve("fresh.part"), "a put in progress elsewhere");
        try (UnderFileSystem reopened = new LocalUnderFileSystem(rootDir)) {
            assertThat(Files.exists(stale)).isFalse();
            assertThat(Files.exists(fresh)).isTrue();
            assertThat(reopened.list("", null, null, 10).objects()).isEmpty();
        }
    }

    @Test
    void racingPutsOfAKeyAndAKeyUnderItEndWithOneWinnerAndAConflict() throws Exception {
        for (int round = 0; round < 20; round++) {
            String base = "race" + round;
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread file = new Thread(() -> attempt(go, errors, () -> ufs.put(base + "/b", bytes("file"), PutOptions.DEFAULT)));
            Thread deep = new Thread(() -> attempt(go, errors, () -> ufs.put(base + "/b/c", bytes("deep"), PutOptions.DEFAULT)));
            file.start();
            deep.start();
            go.countDown();
            file.join(10_000);
            deep.join(10_000);
            assertThat(errors).allSatisfy(e -> assertThat(e).isInstanceOf(WcacheException.Conflict.class));
            assertThat(errors).hasSizeLessThanOrEqualTo(1);
            assertThat(ufs.head(base + "/b").isPresent() ^ ufs.head(base + "/b/c").isPresent()).isTrue();
        }
    }

    private static void attempt(java.util.concurrent.CountDownLatch go, List<Throwable> errors, Runnable put) {
        try {
            go.await();
            put.run();
        } catch (Throwable e) {
            errors.add(e);
        }
    }

    @Test
    void continuationTokenThatIsNotOursIsInvalidArgument() {
        assertThatThrownBy(() -> ufs.list("", null, "not-a-token!", 10)).isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void localUfsRefusesOptionsAndHosts() {
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("file://" + rootDir), Map.of("endpoint", "x")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("file://host/dir"), Map.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("file:relative/dir"), Map.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("ftp://host/dir"), Map.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void concurrentPutsAndDeletesInOneDirectoryNeverLoseAWrite() throws Exception {
        // Deletes prune empty parents while puts create them; every put must still land.
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 50; i++) {
                        String key = "shared/dir/t" + id + "-" + i;
                        ufs.put(key, bytes(key), PutOptions.DEFAULT);
                        if (i % 2 == 0) {
                            ufs.delete(key);
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(errors).isEmpty();
        List<String> all = new ArrayList<>();
        String token = null;
        do {
            UfsListing page = ufs.list("shared/", null, token, 1000);
            all.addAll(keys(page));
            token = page.nextContinuation();
        } while (token != null);
        assertThat(all).hasSize(100);
        for (String k : all) {
            assertThat(new String(ufs.get(k).readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(k);
        }
    }
    @Test
    void aDirectoryPrunedWhileOthersLookThroughItReadsAsAbsentNotAsADanglingLink() throws Exception {
        // Deleting the last keys under a directory prunes it; a concurrent head, list or delete that
        // found the directory a moment before must see "no such key", never an invalid path.
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        for (int round = 0; round < 150 && errors.isEmpty() && System.nanoTime() < deadline; round++) {
            String base = "prune" + round + "/d/";
            for (int i = 0; i < 6; i++) {
                ufs.put(base + "f" + i, bytes("x"), PutOptions.DEFAULT);
            }
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String key = base + "f" + i;
                threads.add(new Thread(() -> attempt(go, errors, () -> ufs.delete(key))));
            }
            for (int i = 0; i < 3; i++) {
                String key = base + "f" + i;
                threads.add(new Thread(() -> attempt(go, errors, () -> {
                    for (int n = 0; n < 20; n++) {
                        ufs.head(key);
                        ufs.head(key + "/under");
                        ufs.list(base, "/", null, 10);
                        ufs.list(base.substring(0, base.indexOf('/') + 1), null, null, 10);
                        ufs.delete(base + "never-there");
                    }
                })));
            }
            threads.forEach(Thread::start);
            go.countDown();
            for (Thread t : threads) {
                t.join(10_000);
            }
        }
        assertThat(errors).isEmpty();
        assertThat(ufs.list("prune", null, null, 10).objects()).isEmpty();
    }
}
