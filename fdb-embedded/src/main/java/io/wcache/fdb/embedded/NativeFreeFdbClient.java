package io.wcache.fdb.embedded;

import com.apple.foundationdb.FDB;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes fdb-java's {@link FDB} singleton usable without libfdb_c, for embedded mode only. Pure-Java parts
 * of fdb-java still consult it: packing a tuple with an incomplete versionstamp asks
 * {@code FDB.instance().getAPIVersion()}. {@code FDB}'s class initialiser loads {@code libfdb_java}, which
 * needs libfdb_c; pointing {@code FDB_LIBRARY_PATH_FDB_JAVA} at a JDK library without {@code JNI_OnLoad}
 * lets the class initialise, and the singleton is then set reflectively to an instance reporting API
 * version 710. Native methods stay unlinked, and the engine never calls them: its exceptions answer the
 * retry predicates themselves. Never used when real FoundationDB is selected.
 */
public final class NativeFreeFdbClient {
    /** fdb-java's API version the Record Layer is built for. */
    public static final int API_VERSION = 710;
    private static final String LIBRARY_PROPERTY = "FDB_LIBRARY_PATH_FDB_JAVA";
    private static volatile boolean installed;

    private NativeFreeFdbClient() {
    }

    /** Whether this JVM's FDB singleton was installed by this class (so real FoundationDB cannot be used). */
    public static boolean isInstalled() {
        return installed;
    }

    /** Idempotent; a no-op when a real FDB API version was already selected in this JVM. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        if (System.getProperty(LIBRARY_PROPERTY) == null) {
            System.setProperty(LIBRARY_PROPERTY, harmlessJdkLibrary().toString());
        }
        try {
            if (FDB.isAPIVersionSelected()) {
                if (FDB.instance().getAPIVersion() != API_VERSION) {
                    throw new IllegalStateException("FDB API version " + FDB.instance().getAPIVersion()
                            + " already selected in this JVM; the embedded engine needs " + API_VERSION);
                }
                return;
            }
            Constructor<FDB> constructor = FDB.class.getDeclaredConstructor(int.class);
            constructor.setAccessible(true);
            FDB fdb = constructor.newInstance(API_VERSION);
            fdb.setUnclosedWarning(false);
            Field singleton = FDB.class.getDeclaredField("singleton");
            singleton.setAccessible(true);
            singleton.set(null, fdb);
            installed = true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            throw new IllegalStateException("cannot prepare the FDB client classes for embedded use: " + e, e);
        }
    }

    /** A library in the running JDK that loads cleanly and has no {@code JNI_OnLoad}. */
    private static Path harmlessJdkLibrary() {
        Path lib = Path.of(System.getProperty("java.home"), "lib");
        for (String name : new String[] {"libsyslookup.so", "libjsig.so", "libsyslookup.dylib", "libjsig.dylib"}) {
            Path candidate = lib.resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no JNI-free library found in " + lib + " to stand in for libfdb_java");
    }
}
