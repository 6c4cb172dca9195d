package township.esnode;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.EsNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts Elasticsearch nodes of an N-node cluster, bound to 127.0.0.1 only: all N in this JVM, or
 * only node I ({@code --only I}: tools/es-node/start.sh runs each node as its own JVM, so a test
 * can kill one).
 *
 * <pre>
 * java -cp target/es-node.jar:target/lib/* township.esnode.EsNodeMain \
 *      [--nodes 1] [--only I] [--http-port 9250] [--transport-port 9350] [--home DIR] [--cluster-name NAME]
 * </pre>
 *
 * Node i (0-based) listens on http-port+i and transport-port+i. One node runs with
 * discovery.type=single-node; several nodes discover each other on the transport ports and
 * bootstrap a cluster with all of them as initial master nodes.
 * Every node keeps config/, data/ and logs/ under HOME/node-i, so a node started again on the same
 * home finds its data. Stop with SIGTERM.
 */
public final class EsNodeMain {

    private EsNodeMain() {}

    public static void main(String[] args) throws Exception {
        int nodes = 1;
        int only = -1;
        int httpPort = 9250;
        int transportPort = -1;
        Path home = null;
        String clusterName = "es-node";
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                case "--only" -> only = Integer.parseInt(args[++i]);
                case "--http-port", "--port" -> httpPort = Integer.parseInt(args[++i]);
                case "--transport-port" -> transportPort = Integer.parseInt(args[++i]);
                case "--home" -> home = Path.of(args[++i]);
                case "--cluster-name" -> clusterName = args[++i];
                case "-E" -> extra.add(args[++i]);
                default -> {
                    System.err.println("unknown argument: " + a);
                    System.exit(2);
                }
            }
        }
        if (nodes < 1) {
            throw new IllegalArgumentException("--nodes must be >= 1");
        }
        if (only >= nodes) {
            throw new IllegalArgumentException("--only must be below --nodes");
        }
        if (transportPort < 0) {
            transportPort = httpPort + 100;
        }
        if (home == null) {
            home = Files.createTempDirectory("es-node-");
        }
        home = home.toAbsolutePath();
        Files.createDirectories(home);

        List<String> names = new ArrayList<>();
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            names.add("node-" + i);
            seeds.add("127.0.0.1:" + (transportPort + i));
        }

        List<Environment> envs = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            if (only >= 0 && i != only) {
                continue;
            }
            Path nodeHome = home.resolve(names.get(i));
            Path config = nodeHome.resolve("config");
            Files.createDirectories(config);
            try (InputStream in = EsNodeMain.class.getResourceAsStream("/es-node-log4j2.properties")) {
                Files.copy(in, config.resolve("log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
            }
            Settings.Builder s = Settings.builder()
                .put("cluster.name", clusterName)
                .put("node.name", names.get(i))
                .put("path.home", nodeHome.toString())
                .put("path.data", nodeHome.resolve("data").toString())
                .put("path.logs", nodeHome.resolve("logs").toString())
                .put("network.host", "127.0.0.1")
                .put("http.port", httpPort + i)
                .put("transport.port", transportPort + i)
                // test machines often have little free disk; never block allocation/writes on watermarks
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                // let tests delete indices with wildcards
                .put("action.destructive_requires_name", false);
            if (nodes == 1) {
                s.put("discovery.type", "single-node");
            } else {
                s.putList("discovery.seed_hosts", seeds);
                s.putList("cluster.initial_master_nodes", names);
                // several nodes share the machine: keep each node's thread pools small
                s.put("node.processors", Math.min(2, Runtime.getRuntime().availableProcessors()));
            }
            for (String kv : extra) {
                int eq = kv.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("-E expects key=value, got " + kv);
                }
                s.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            envs.add(InternalSettingsPreparer.prepareEnvironment(s.build(), Map.of(), config, () -> "node"));
        }

        // logging is JVM-wide: configure it once, from the first node's config dir
        LogConfigurator.registerErrorListener();
        LogConfigurator.setClusterName(clusterName);
        LogConfigurator.setNodeName(envs.size() == 1 ? envs.get(0).settings().get("node.name") : "nodes");
        LogConfigurator.configure(envs.get(0), true);

        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, EsNodeExtrasPlugin.class);
        List<Node> started = new ArrayList<>();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Node n : started) {
                try {
                    n.close();
                    n.awaitClose(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }
            stop.countDown();
        }, "es-node-shutdown"));

        long t0 = System.nanoTime();
        for (Environment env : envs) {
            started.add(new EsNode(env, plugins));
        }
        // Node.start() waits for the node to join a cluster (discovery.initial_state_timeout), and no node
        // of several can elect a master alone: start them all at once.
        List<Thread> starters = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (Node node : started) {
            Thread t = new Thread(() -> {
                try {
                    node.start();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "es-node-start-" + node.settings().get("node.name"));
            t.start();
            starters.add(t);
        }
        for (Thread t : starters) {
            t.join();
        }
        if (failures.isEmpty() == false) {
            failures.forEach(Throwable::printStackTrace);
            System.exit(1);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("es-node: started " + envs.size() + " node(s) of " + nodes + " in " + ms
            + " ms; http://127.0.0.1:" + (httpPort + Math.max(only, 0))
            + (envs.size() > 1 ? " .. " + (httpPort + nodes - 1) : "") + "; home " + home);
        System.out.flush();
        stop.await();
    }
}
