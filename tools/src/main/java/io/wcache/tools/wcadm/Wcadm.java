package io.wcache.tools.wcadm;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code wcadm}, the command-line client of a worker's admin REST API. Every command takes
 * {@code --endpoint} (default {@code http://127.0.0.1:9001} or {@code WCADM_ENDPOINT}) and
 * {@code --json}. Exit codes: 0 ok, 1 the worker answered with an error, 2 usage error,
 * 3 no worker answered at the endpoint.
 */
@Command(name = "wcadm", mixinStandardHelpOptions = true, versionProvider = Wcadm.Version.class,
        description = "Administer a wcache worker through its admin REST API.",
        subcommands = {Commands.Info.class, Commands.PathConfigCmd.class, Commands.AsyncPersist.class, Commands.Fs.class,
                Commands.Orphan.class, Commands.MountCmd.class, Commands.CacheCmd.class},
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

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line with the given streams; returns the exit code (in-process use and tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Wcadm());
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
