package io.wcache.tools.wcadm;

import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.admin.AdminServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real worker with its admin API in a child JVM, for the wcadm tests: {@code args} are the
 * config file and a port file. It writes {@code admin=host:port} to the port file once serving,
 * then takes commands on stdin, one per line, answering {@code @@answer ok} or {@code @@answer error ...}:
 * {@code put PATH SIZE} writes an object through the worker's CacheService, {@code open PATH}
 * leaves a write session open (an orphan to be), {@code stop} closes the worker and exits.
 */
public final class AdminWorkerChild {

    /** Marks answers on stdout, which the worker's log shares. */
    static final String ANSWER = "@@answer ";

    private AdminWorkerChild() {
    }

    public static void main(String[] args) throws Exception {
        WcacheConfig cfg = WcacheConfig.load(Path.of(args[0]), List.of());
        Worker worker = Worker.start(cfg, WorkerOptions.defaults().withSegmentSize(4L << 20),
                List.of(AdminServer.factory()));
        AdminServer admin = (AdminServer) worker.frontends().get(0);
        Path portFile = Path.of(args[1]);
        Files.writeString(portFile.resolveSibling("ports.tmp"), "admin=127.0.0.1:" + admin.address().getPort() + "\n");
        Files.move(portFile.resolveSibling("ports.tmp"), portFile);
        List<WriteSession> open = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.trim().split(" ");
            try {
                switch (p[0]) {
                    case "put" -> {
                        WriteSession s = worker.cacheService().create(NamespacePath.of(p[1]), WriteOptions.defaults()).join();
                        s.append(ByteBuffer.wrap(new byte[Integer.parseInt(p[2])])).join();
                        s.commit().join();
                    }
                    case "open" -> {
                        WriteSession s = worker.cacheService().create(NamespacePath.of(p[1]), WriteOptions.defaults()).join();
                        s.append(ByteBuffer.wrap(new byte[1000])).join();
                        open.add(s);
                    }
                    case "stop" -> {
                        worker.close();
                        System.out.println(ANSWER + "ok");
                        System.out.flush();
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown command " + p[0]);
                }
                System.out.println(ANSWER + "ok");
            } catch (Exception e) {
                System.out.println(ANSWER + "error " + e);
            }
            System.out.flush();
        }
        worker.close();
        System.exit(0);
    }
}
