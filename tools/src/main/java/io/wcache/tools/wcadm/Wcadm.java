package io.wcache.tools.wcadm;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code wcadm}, the command-line client of a worker's admin REST API. The global options
 * ({@code --endpoint}, {@code --token}, {@code --json}, {@code --cacert}, {@code --insecure}) are
 * inherited by every subcommand, so they may come before or after it. The token is found without
 * flags ({@link AdminTokenSource}). Exit codes: 0 ok, 1 the worker answered with an error, 2 usage
 * error, 3 no worker answered at the endpoint.
 */
@Command(name = "wcadm", mixinStandardHelpOptions = true, versionProvider = Wcadm.Version.class,
        description = "Administer a wcache worker through its admin REST API.",
        subcommands = {Commands.Info.class, Commands.PathConfigCmd.class, Commands.AsyncPersist.class, Commands.Fs.class,
                Commands.Orphan.class, Commands.MountCmd.class, Commands.CacheCmd.class,
                Commands.WorkerCmd.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the worker answered with an error (the message says what to do)",
                "2:usage error (bad command, option or argument)",
                "3:cannot connect: no worker answers at --endpoint"})
public final class Wcadm implements Runnable {

    public static final int OK = 0;
    public static final int SERVER_ERROR = 1;
    public static final int USAGE = 2;
    public static final int UNREACHABLE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    // Inherited options are bound to these fields wherever they appear on the command line.
    @Option(names = "--endpoint", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Admin API of the worker (default: $WCADM_ENDPOINT or http://127.0.0.1:9001)")
    String endpoint;

    @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
            description = "Admin bearer token (default: $WCADM_TOKEN, else the file named by $WCADM_TOKEN_FILE,"
                    + " else ./data/admin.token when it exists)")
    String token;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print the worker's JSON answer instead of a table")
    boolean json;

    @Option(names = "--cacert", paramLabel = "PEM", scope = ScopeType.INHERIT,
            description = "Trust these PEM certificates for an https:// endpoint (default: $WCADM_CACERT, else the JDK's CAs)")
    Path cacert;

    @Option(names = "--insecure", scope = ScopeType.INHERIT,
            description = "For an https:// endpoint, accept any certificate (tests and first set-up only)")
    boolean insecure;

    private final Map<String, String> env;
    private final Path workDir;
    private AdminClient client;

    Wcadm(Map<String, String> env, Path workDir) {
        this.env = env;
        this.workDir = workDir;
    }

    /** The client of this command line's worker: endpoint, token and TLS from the options and the environment. */
    AdminClient client() {
        if (client == null) {
            String e = endpoint != null ? endpoint : env.get("WCADM_ENDPOINT");
            String caEnv = env.get("WCADM_CACERT");
            Path ca = cacert != null ? cacert : caEnv != null && !caEnv.isBlank() ? Path.of(caEnv) : null;
            client = new AdminClient(e == null || e.isBlank() ? "http://127.0.0.1:9001" : e,
                    AdminTokenSource.find(token, env, workDir), AdminClient.tls(ca == null ? null : workDir.resolve(ca),
                            insecure));
        }
        return client;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line with the given streams; returns the exit code (in-process use and tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, System.getenv(), Path.of("").toAbsolutePath());
    }

    /** Runs one command line as if in {@code workDir} with the environment {@code env} (tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, Path workDir) {
        CommandLine cl = new CommandLine(new Wcadm(env, workDir));
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter e = commandLine.getErr();
            if (ex instanceof AdminClient.ServerError s) {
                e.println("wcadm: " + s.getMessage() + (s.code == null ? "" : " [" + s.code + "]"));
                if (s.hint != null) {
                    e.println("  next: " + s.hint);
                }
                e.flush();
                return SERVER_ERROR;
            }
            if (ex instanceof AdminClient.Unreachable u) {
                e.println("wcadm: " + u.getMessage());
                e.flush();
                return UNREACHABLE;
            }
            if (ex instanceof AdminClient.Usage u) {
                e.println("wcadm: " + u.getMessage());
                e.flush();
                return USAGE;
            }
            e.println("wcadm: " + ex);
            e.flush();
            return SERVER_ERROR;
        });
        return cl.execute(args);
    }

    /** The version of this client, from the jar manifest when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Wcadm.class.getPackage().getImplementationVersion();
            return new String[] {"wcadm " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
