package io.wcache.worker.admin;

import io.wcache.core.config.AdminAuthMode;
import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.WcacheConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the admin API's bearer token comes from: {@code WCACHE_ADMIN_TOKEN}, else
 * {@code admin.token}, else the file {@code <data.dir>/admin.token}, written with a random token
 * (mode 0600) at first start and read at every later one, so {@code wcadm} run from the same
 * directory finds it without flags. With {@code admin.auth: none} there is no token. The token
 * itself is never logged; only where it came from.
 *
 * @param token  the token, or null when {@code admin.auth: none}
 * @param source {@code env}, {@code config}, {@code file} or {@code none}
 * @param file   the token file when the source is {@code file}
 */
public record AdminToken(String token, String source, Path file) {

    private static final Logger LOG = LoggerFactory.getLogger(AdminToken.class);
    /** Environment variable holding the admin bearer token; it takes precedence over the config. */
    public static final String ENV = "WCACHE_ADMIN_TOKEN";
    /** The token file's name under {@code data.dir}. */
    public static final String FILE_NAME = "admin.token";
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public String toString() {
        return "AdminToken[source=" + source + (file == null ? "" : ", file=" + file) + "]";
    }

    /** Resolves the token of a worker with this config and environment, creating the file if needed. */
    public static AdminToken resolve(WcacheConfig config, Map<String, String> env) {
        if (config.get(ConfigKeys.ADMIN_AUTH) == AdminAuthMode.NONE) {
            return new AdminToken(null, "none", null);
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new AdminToken(fromEnv.trim(), "env", null);
        }
        String configured = config.get(ConfigKeys.ADMIN_TOKEN);
        if (!configured.isBlank()) {
            return new AdminToken(configured.trim(), "config", null);
        }
        Path file = config.dataDir().resolve(FILE_NAME).toAbsolutePath().normalize();
        return new AdminToken(readOrCreate(file), "file", file);
    }

    /** The token in {@code file}; a missing or empty file gets a new random token first. */
    static String readOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                String t = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!t.isEmpty()) {
                    tighten(file);
                    return t;
                }
            }
            Files.createDirectories(file.getParent());
            String token = newToken();
            Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
            Files.deleteIfExists(tmp);
            if (posix(file.getParent())) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(
                        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
            } else {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException raced) {
                Files.deleteIfExists(tmp);
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            }
            LOG.info("event=admin_token_generated file={} note=\"wcadm run from the directory holding data/ finds it;"
                    + " elsewhere pass WCADM_TOKEN_FILE\"", file);
            return token;
        } catch (IOException e) {
            // IllegalStateException: what `wcache serve` reports as a start-up failure, without a stack trace.
            throw new IllegalStateException("cannot read or create the admin token file " + file + ": " + e.getMessage()
                    + " (set admin.token or WCACHE_ADMIN_TOKEN instead)", e);
        }
    }

    /** 256 random bits, URL-safe base64 without padding (43 characters). */
    static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A token file others may read is narrowed to its owner, and said so. */
    private static void tighten(Path file) throws IOException {
        if (!posix(file)) {
            return;
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> owner = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        if (!owner.containsAll(perms)) {
            Files.setPosixFilePermissions(file, owner);
            LOG.warn("event=admin_token_permissions_narrowed file={} was={} now=rw-------", file,
                    PosixFilePermissions.toString(perms));
        }
    }

    private static boolean posix(Path p) {
        return Files.getFileAttributeView(p, PosixFileAttributeView.class) != null;
    }
}
