package io.wcache.tools.wcadm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every {@code wcadm} command shares: the client and {@code --json} of the global options
 * ({@link Wcadm}), and the output helpers (JSON, aligned tables, progress that redraws one line on a terminal
 * and prints plain lines otherwise).
 */
abstract class Common implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private Wcadm global() {
        return (Wcadm) spec.root().userObject();
    }

    AdminClient client() {
        return global().client();
    }

    /** Whether {@code --json} was given, before or after the subcommand. */
    boolean json() {
        return global().json;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    void printJson(JsonNode node) {
        try {
            out().println(AdminClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out().flush();
    }

    /** Prints rows under a header, each column as wide as its widest cell. */
    void table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], cell(r, i).length());
            }
        }
        for (List<String> r : all) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < w.length; i++) {
                String c = cell(r, i);
                sb.append(c);
                if (i < w.length - 1) {
                    sb.append(" ".repeat(w[i] - c.length() + 2));
                }
            }
            out().println(sb.toString().stripTrailing());
        }
        out().flush();
    }

    private static String cell(List<String> r, int i) {
        return i < r.size() && r.get(i) != null ? r.get(i) : "";
    }

    void kv(String key, Object value) {
        out().printf("%-26s %s%n", key + ":", value == null ? "-" : value);
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "-" : v.asText();
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Whether progress may redraw a line: stdout is a terminal and the output is not JSON. */
    boolean interactive() {
        return !json() && System.console() != null && spec.commandLine().getOut() != null
                && "true".equals(System.getProperty("wcadm.tty", "true"));
    }

    /**
     * Runs a streamed operation; each progress line is shown as a redrawn bar on a terminal, a
     * plain line otherwise, or (with {@code --json}) printed as it came. Returns the final line.
     */
    JsonNode streamed(String method, String path, java.util.Map<String, String> query) {
        boolean tty = interactive();
        long[] shown = {0};
        JsonNode done = client().stream(method, path, query, line -> {
            if (json()) {
                out().println(line.toString());
                out().flush();
                return;
            }
            if (line.path("done").asBoolean(false)) {
                return;
            }
            String op = line.path("operation").asText();
            long n = line.path("processed").asLong();
            long b = line.path("bytes").asLong();
            String cur = line.path("current").asText("");
            if (tty) {
                int width = 30;
                int pos = (int) (shown[0]++ % width);
                String bar = ".".repeat(pos) + "#" + ".".repeat(width - pos - 1);
                out().print("\r" + op + " [" + bar + "] " + n + " files" + (b > 0 ? ", " + bytes(b) : "") + "  ");
            } else {
                out().println(op + ": " + n + " files" + (b > 0 ? ", " + bytes(b) : "") + (cur.isEmpty() ? "" : ", at " + cur));
            }
            out().flush();
        });
        if (!json()) {
            if (tty) {
                out().print("\r" + " ".repeat(60) + "\r");
            }
            out().println(done.path("message").asText("done"));
            out().flush();
        }
        return done;
    }

    /** Prints a change's answer: its message (e.g. {@code Update successful!}) or the JSON. */
    int done(JsonNode n) {
        if (json()) {
            printJson(n);
        } else {
            out().println(n.path("message").asText("done"));
            out().flush();
        }
        return 0;
    }
}
