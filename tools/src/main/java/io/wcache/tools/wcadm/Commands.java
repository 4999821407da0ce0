package io.wcache.tools.wcadm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import static io.wcache.tools.wcadm.Common.bytes;
import static io.wcache.tools.wcadm.Common.text;

/**
 * The {@code wcadm} commands, one small class each, grouped as on the command line. Each sends
 * one request (or one streamed long operation) and prints the answer as a table, or as JSON
 * with {@code --json}.
 */
final class Commands {

    private Commands() {
    }

    /** Groups only hold subcommands; called without one they print their usage and fail. */
    abstract static class Group implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
        }
    }

    // ---------------------------------------------------------------- info

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Version, write cache, metadata engine, workers, mounts and capacity.")
    static final class Info extends Common {
        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/info", null);
            if (json()) {
                printJson(n);
                return 0;
            }
            kv("Version", text(n, "version"));
            kv("Write cache enabled", text(n, "writeCacheEnabled"));
            kv("Metadata engine", text(n, "metadataEngine"));
            JsonNode c = n.path("capacity");
            kv("Capacity", bytes(c.path("capacityBytes").asLong()) + " (used " + bytes(c.path("usedBytes").asLong())
                    + ", free " + bytes(c.path("freeBytes").asLong()) + ", pinned " + bytes(c.path("pinnedBytes").asLong())
                    + ", evictable " + bytes(c.path("evictableBytes").asLong()) + ")");
            out().println("Workers:");
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode w : n.path("workers")) {
                rows.add(List.of("  " + text(w, "id"), text(w, "address"), bytes(w.path("capacityBytes").asLong()),
                        text(w, "heartbeat")));
            }
            table(List.of("  ID", "ADDRESS", "CAPACITY", "HEARTBEAT"), rows);
            out().println("Mounts:");
            rows = new ArrayList<>();
            for (JsonNode m : n.path("mounts")) {
                rows.add(List.of("  " + text(m, "path"), text(m, "ufs"), text(m, "source")));
            }
            table(List.of("  PATH", "UFS", "SOURCE"), rows);
            return 0;
        }
    }

    // ---------------------------------------------------------------- pathconfig

    @Command(name = "pathconfig", mixinStandardHelpOptions = true, description = "Per-path write policies.",
            subcommands = {PcShow.class, PcSet.class, PcUnset.class, PcResolve.class, PcImport.class, PcEdit.class})
    static final class PathConfigCmd extends Group {
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print the path config (YAML document).")
    static final class PcShow extends Common {
        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/pathconfig", null);
            if (json()) {
                printJson(n);
            } else {
                out().print(n.path("document").asText());
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Set the policy of a path prefix.")
    static final class PcSet extends Common {
        @Parameters(index = "0", paramLabel = "PATH", description = "Path prefix, e.g. /demo/logs")
        String path;
        @Option(names = "--policy", required = true, paramLabel = "P",
                description = "WRITE_THROUGH, WRITE_BACK, TRANSIENT, READ_ONLY or NO_CACHE")
        String policy;
        @Option(names = "--replicas", paramLabel = "N", description = "Copies of unpersisted data (default 1)")
        Integer replicas;

        @Override
        public Integer call() {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("path", path).put("policy", policy);
            if (replicas != null) {
                body.put("writeReplicas", replicas);
            }
            JsonNode n = client().send("PUT", "/api/v1/pathconfig/rule", null, body.toString(), "application/json");
            return done(n);
        }
    }

    @Command(name = "unset", mixinStandardHelpOptions = true, description = "Remove the rule of a path prefix.")
    static final class PcUnset extends Common {
        @Parameters(index = "0", paramLabel = "PATH")
        String path;

        @Override
        public Integer call() {
            return done(client().send("DELETE", "/api/v1/pathconfig/rule", AdminClient.params("path", path), null, null));
        }
    }

    @Command(name = "resolve", mixinStandardHelpOptions = true,
            description = "The policy a write to PATH gets now, and the rule that decided it.")
    static final class PcResolve extends Common {
        @Parameters(index = "0", paramLabel = "PATH")
        String path;

        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/pathconfig/resolve", AdminClient.params("path", path));
            if (json()) {
                printJson(n);
                return 0;
            }
            kv("Path", text(n, "path"));
            kv("Policy", text(n, "policyMode"));
            kv("Write replicas", text(n, "writeReplicas"));
            kv("Matched rule", n.hasNonNull("matchedRule") ? text(n, "matchedRule") : "(none: global default)");
            kv("Explanation", text(n, "explanation"));
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Replace all rules with those of a path-config document (the format of `show`).")
    static final class PcImport extends Common {
        @Parameters(index = "0", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new AdminClient.Usage("cannot read " + file + ": " + e.getMessage());
            }
            return done(client().send("PUT", "/api/v1/pathconfig", null, document(text), "application/json"));
        }
    }

    @Command(name = "edit", mixinStandardHelpOptions = true,
            description = "Open $EDITOR on the whole path config; it is validated before it is saved.")
    static final class PcEdit extends Common {
        @Override
        public Integer call() throws Exception {
            String before = client().get("/api/v1/pathconfig", null).path("document").asText();
            Path tmp = Files.createTempFile("wcadm-pathconfig-", ".yaml");
            Files.writeString(tmp, before);
            String editor = System.getenv().getOrDefault("VISUAL", System.getenv().getOrDefault("EDITOR", "vi"));
            int rc = new ProcessBuilder("sh", "-c", editor + " \"$0\"", tmp.toString()).inheritIO().start().waitFor();
            if (rc != 0) {
                throw new AdminClient.Usage("the editor (" + editor + ") exited with " + rc + "; nothing changed. Your file: " + tmp);
            }
            String after = Files.readString(tmp);
            if (after.equals(before)) {
                out().println("No changes.");
                Files.deleteIfExists(tmp);
                return 0;
            }
            try {
                int code = done(client().send("PUT", "/api/v1/pathconfig", null, document(after), "application/json"));
                Files.deleteIfExists(tmp);
                return code;
            } catch (AdminClient.ServerError e) {
                throw new AdminClient.ServerError(e.status, e.code, e.getMessage(),
                        "nothing was saved; your edits are in " + tmp + ": fix them and run `wcadm pathconfig import " + tmp + "`");
            }
        }
    }

    /** The body of {@code PUT /api/v1/pathconfig}: the YAML document inside JSON, as the API takes only JSON. */
    static String document(String yaml) {
        return AdminClient.JSON.createObjectNode().put("document", yaml).toString();
    }

    // ---------------------------------------------------------------- async-persist

    @Command(name = "async-persist", mixinStandardHelpOptions = true, description = "The asynchronous persist queue.",
            subcommands = {ApStat.class, ApList.class})
    static final class AsyncPersist extends Group {
    }

    @Command(name = "stat", mixinStandardHelpOptions = true, description = "Queue depth, in flight, retries, lag, throughput.")
    static final class ApStat extends Common {
        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/async-persist/stat", null);
            if (json()) {
                printJson(n);
                return 0;
            }
            kv("Queued", text(n, "queued"));
            kv("In flight", text(n, "inFlight"));
            kv("Retrying", text(n, "retrying"));
            kv("Failed attempts", text(n, "failedAttempts"));
            kv("Persisted", text(n, "persisted"));
            kv("Oldest pending age", n.hasNonNull("oldestPendingAgeSeconds")
                    ? String.format(java.util.Locale.ROOT, "%.1fs", n.get("oldestPendingAgeSeconds").asDouble()) : "-");
            kv("Bytes pending", bytes(n.path("bytesPending").asLong()));
            kv("Throughput", bytes((long) n.path("throughputBytesPerSecond").asDouble()) + "/s");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "One row per pending file.")
    static final class ApList extends Common {
        @Option(names = "--limit", defaultValue = "1000", description = "At most this many rows (default ${DEFAULT-VALUE})")
        int limit;

        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/async-persist/list", AdminClient.params("limit", Integer.toString(limit)));
            if (json()) {
                printJson(n);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode r : n) {
                rows.add(List.of(text(r, "path"), text(r, "kind"), bytes(r.path("size").asLong()), text(r, "state"),
                        text(r, "attempts"), text(r, "nextAttempt"), text(r, "lastError")));
            }
            table(List.of("PATH", "KIND", "SIZE", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"), rows);
            return 0;
        }
    }

    // ---------------------------------------------------------------- fs

    @Command(name = "fs", mixinStandardHelpOptions = true, description = "Files in the namespace.",
            subcommands = {FsLs.class, FsStat.class, FsRm.class, FsFree.class})
    static final class Fs extends Group {
    }

    static List<String> fileRow(JsonNode f) {
        boolean dir = "directory".equals(f.path("type").asText());
        return List.of(dir ? "DIR" : bytes(f.path("size").asLong()), dir ? "-" : text(f, "modified"),
                dir ? "-" : text(f, "state"), dir ? "-" : text(f, "persistState"), f.path("path").asText() + (dir ? "/" : ""));
    }

    static final List<String> FILE_HEADER = List.of("SIZE", "MODIFIED", "STATE", "PERSIST", "PATH");

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List a directory (or show a file).")
    static final class FsLs extends Common {
        @Option(names = {"-R", "--recursive"}, description = "Everything below PATH")
        boolean recursive;
        @Parameters(index = "0", paramLabel = "PATH", defaultValue = "/")
        String path;

        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/fs/ls", AdminClient.params("path", path, "recursive", Boolean.toString(recursive)));
            if (json()) {
                printJson(n);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode f : n.path("entries")) {
                rows.add(fileRow(f));
            }
            table(FILE_HEADER, rows);
            if (n.path("truncated").asBoolean()) {
                out().println("(listing truncated; list a deeper path)");
            }
            return 0;
        }
    }

    @Command(name = "stat", mixinStandardHelpOptions = true, description = "Details of one file.")
    static final class FsStat extends Common {
        @Parameters(index = "0", paramLabel = "PATH")
        String path;

        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/fs/stat", AdminClient.params("path", path));
            if (json()) {
                printJson(n);
                return 0;
            }
            kv("Path", text(n, "path"));
            kv("Type", text(n, "type"));
            if (!"directory".equals(n.path("type").asText())) {
                kv("Size", n.path("size").asLong() + " (" + bytes(n.path("size").asLong()) + ")");
                kv("Modified", text(n, "modified"));
                kv("State", text(n, "state"));
                kv("Persist state", text(n, "persistState"));
                kv("Policy", text(n, "policy"));
                kv("ETag", n.path("etagPending").asBoolean() ? "(being computed)" : text(n, "etag"));
                kv("Generation", text(n, "generation"));
            }
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Delete a file, or with -R a directory; an interrupted -R is finished by running it again.")
    static final class FsRm extends Common {
        @Option(names = {"-R", "--recursive"}, description = "Everything below PATH")
        boolean recursive;
        @Parameters(index = "0", paramLabel = "PATH")
        String path;

        @Override
        public Integer call() {
            streamed("POST", "/api/v1/fs/rm", AdminClient.params("path", path, "recursive", Boolean.toString(recursive)));
            return 0;
        }
    }

    @Command(name = "free", mixinStandardHelpOptions = true,
            description = "Evict the cached copy of persisted files at or under PATH now (unpersisted data is kept).")
    static final class FsFree extends Common {
        @Parameters(index = "0", paramLabel = "PATH")
        String path;

        @Override
        public Integer call() {
            streamed("POST", "/api/v1/fs/free", AdminClient.params("path", path));
            return 0;
        }
    }

    // ---------------------------------------------------------------- orphan

    @Command(name = "orphan", mixinStandardHelpOptions = true, description = "Write sessions that will never commit.",
            subcommands = {OrphanList.class, OrphanClean.class})
    static final class Orphan extends Group {
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Open write sessions older than --older-than (default: write.cache.async.check.orphan.timeout),"
                    + " and multipart uploads with no part for as long.")
    static final class OrphanList extends Common {
        @Option(names = "--older-than", paramLabel = "D", description = "Age, e.g. 30s, 10min, 1h")
        String olderThan;

        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/orphans", AdminClient.params("olderThan", olderThan));
            if (json()) {
                printJson(n);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode s : n) {
                // A multipart upload has no file id of its own: its upload id identifies it.
                String id = s.path("uploadId").isTextual() ? "upload " + text(s, "uploadId") : text(s, "fileId");
                rows.add(List.of(text(s, "path"), id, bytes(s.path("size").asLong()), text(s, "created"),
                        text(s, "lastWrite"), text(s, "owner")));
            }
            table(List.of("PATH", "ID", "SIZE", "CREATED", "LAST WRITE", "OWNER"), rows);
            return 0;
        }
    }

    @Command(name = "clean", mixinStandardHelpOptions = true,
            description = "Abort orphaned sessions and abandoned multipart uploads and reclaim their space"
                    + " (without --older-than: run the sweep now).")
    static final class OrphanClean extends Common {
        @Option(names = "--older-than", paramLabel = "D", description = "Abort every session opened longer ago than D")
        String olderThan;

        @Override
        public Integer call() {
            streamed("POST", "/api/v1/orphans/clean", AdminClient.params("olderThan", olderThan));
            return 0;
        }
    }

    // ---------------------------------------------------------------- mount

    @Command(name = "mount", mixinStandardHelpOptions = true, description = "Mounts: namespace prefix -> UFS URI.",
            subcommands = {MountList.class, MountAdd.class, MountRemove.class})
    static final class MountCmd extends Group {
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the mounts.")
    static final class MountList extends Common {
        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/mounts", null);
            if (json()) {
                printJson(n);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode m : n) {
                rows.add(List.of(text(m, "path"), text(m, "ufs"), text(m, "source")));
            }
            table(List.of("PATH", "UFS", "SOURCE"), rows);
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a mount, e.g. add /logs file:///srv/logs")
    static final class MountAdd extends Common {
        @Parameters(index = "0", paramLabel = "PATH")
        String path;
        @Parameters(index = "1", paramLabel = "URI", description = "s3://bucket/prefix or file:///dir")
        String uri;
        @Option(names = "--option", paramLabel = "KEY=VALUE", description = "UFS option (repeatable)")
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>();

        @Override
        public Integer call() {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("path", path).put("ufs", uri);
            ObjectNode o = body.putObject("options");
            options.forEach(o::put);
            return done(client().send("POST", "/api/v1/mounts", null, body.toString(), "application/json"));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a mount added with `mount add`.")
    static final class MountRemove extends Common {
        @Parameters(index = "0", paramLabel = "PATH")
        String path;

        @Override
        public Integer call() {
            return done(client().send("DELETE", "/api/v1/mounts", AdminClient.params("path", path), null, null));
        }
    }

    // ---------------------------------------------------------------- cache

    @Command(name = "cache", mixinStandardHelpOptions = true, description = "The local cache.", subcommands = {CacheStat.class})
    static final class CacheCmd extends Group {
    }

    @Command(name = "stat", mixinStandardHelpOptions = true,
            description = "Capacity, pinned, evictable and free bytes, in total and per directory.")
    static final class CacheStat extends Common {
        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/cache/stat", null);
            if (json()) {
                printJson(n);
                return 0;
            }
            kv("Capacity", bytes(n.path("capacityBytes").asLong()));
            kv("Used", bytes(n.path("usedBytes").asLong()));
            kv("Free", bytes(n.path("freeBytes").asLong()));
            kv("Pinned", bytes(n.path("pinnedBytes").asLong()) + " (cap " + bytes(n.path("pinnedCapBytes").asLong()) + ")");
            kv("Evictable", bytes(n.path("evictableBytes").asLong()));
            kv("Segments", text(n, "segments"));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode d : n.path("directories")) {
                rows.add(List.of(text(d, "path"), bytes(d.path("capacityBytes").asLong()), bytes(d.path("usedBytes").asLong()),
                        text(d, "segments")));
            }
            table(List.of("DIRECTORY", "CAPACITY", "USED", "SEGMENTS"), rows);
            return 0;
        }
    }

    // ---------------------------------------------------------------- worker

    @Command(name = "worker", mixinStandardHelpOptions = true, description = "The workers of the cluster.",
            subcommands = {WorkerList.class, WorkerKill.class, WorkerStart.class, WorkerDrain.class})
    static final class WorkerCmd extends Group {
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Name, S3 and admin addresses, state, last heartbeat, share of the ring, pinned bytes.")
    static final class WorkerList extends Common {
        @Override
        public Integer call() {
            JsonNode n = client().get("/api/v1/workers", null);
            if (json()) {
                printJson(n);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode w : n) {
                rows.add(List.of(text(w, "name"), text(w, "s3Address"), text(w, "adminAddress"), text(w, "state"),
                        text(w, "lastHeartbeat"),
                        String.format(java.util.Locale.ROOT, "%.1f%%", 100 * w.path("ringShare").asDouble()),
                        bytes(w.path("pinnedBytes").asLong())));
            }
            table(List.of("NAME", "S3", "ADMIN", "STATE", "LAST HEARTBEAT", "RING", "PINNED"), rows);
            return 0;
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true,
            description = "Crash-stop a worker of a one-process cluster (wcache serve --workers N): no flush, no handover.")
    static final class WorkerKill extends Common {
        @Parameters(index = "0", paramLabel = "NAME", description = "e.g. worker-1")
        String name;

        @Override
        public Integer call() {
            return done(client().send("POST", "/api/v1/workers/kill", AdminClient.params("name", name), null, null));
        }
    }

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Take a worker out of the ring and hand over (to a worker holding a replica) or persist every"
                    + " unpersisted version only it holds; progress is shown. Any mode.")
    static final class WorkerDrain extends Common {
        @Parameters(index = "0", paramLabel = "NAME", description = "e.g. worker-1")
        String name;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "Give up waiting for the persister after"
                + " this long (e.g. 10min, the default)")
        String timeout;

        @Override
        public Integer call() {
            streamed("POST", "/api/v1/workers/drain", timeout == null ? AdminClient.params("name", name)
                    : AdminClient.params("name", name, "timeout", timeout));
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a crash-stopped worker of a one-process cluster again from its directory.")
    static final class WorkerStart extends Common {
        @Parameters(index = "0", paramLabel = "NAME", description = "e.g. worker-1")
        String name;

        @Override
        public Integer call() {
            return done(client().send("POST", "/api/v1/workers/start", AdminClient.params("name", name), null, null));
        }
    }
}
