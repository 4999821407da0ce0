package io.wcache.tools.wcadm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where {@code wcadm} finds the admin token, first match wins: {@code --token}, else
 * {@code $WCADM_TOKEN}, else the file named by {@code $WCADM_TOKEN_FILE}, else
 * {@code ./data/admin.token} when it exists (the file a worker started from the same directory
 * with the default {@code data.dir} generates). No token at all is not an error here: a worker
 * with {@code admin.auth: none} needs none, and one that needs it answers 401 with a hint.
 */
final class AdminTokenSource {

    static final String TOKEN_ENV = "WCADM_TOKEN";
    static final String TOKEN_FILE_ENV = "WCADM_TOKEN_FILE";
    /** The worker's token file under the default {@code data.dir}, relative to the working directory. */
    static final Path DEFAULT_FILE = Path.of("data", "admin.token");

    private AdminTokenSource() {
    }

    /** The token to send, or null for none. */
    static String find(String flag, Map<String, String> env, Path workDir) {
        if (flag != null && !flag.isBlank()) {
            return flag.trim();
        }
        String fromEnv = env.get(TOKEN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        String file = env.get(TOKEN_FILE_ENV);
        if (file != null && !file.isBlank()) {
            return read(workDir.resolve(file), "$" + TOKEN_FILE_ENV + " names " + file);
        }
        Path dflt = workDir.resolve(DEFAULT_FILE);
        if (Files.exists(dflt)) {
            return read(dflt, "./" + DEFAULT_FILE + " exists");
        }
        return null;
    }

    private static String read(Path file, String why) {
        try {
            String t = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (t.isEmpty()) {
                throw new AdminClient.Usage(why + ", but the file is empty; pass the token with --token or $" + TOKEN_ENV);
            }
            return t;
        } catch (AccessDeniedException e) {
            throw new AdminClient.Usage(why + ", but it cannot be read by this user (it is the worker's, mode 0600):"
                    + " run wcadm as the worker's user, or pass the token with --token or $" + TOKEN_ENV);
        } catch (IOException e) {
            throw new AdminClient.Usage(why + ", but it cannot be read: " + e.getMessage()
                    + "; pass the token with --token or $" + TOKEN_ENV);
        }
    }
}
