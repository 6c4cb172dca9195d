package org.elasticsearch.node;

import org.elasticsearch.bootstrap.BootstrapCheck;
import org.elasticsearch.bootstrap.BootstrapContext;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.transport.BoundTransportAddress;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;
import java.util.List;

/**
 * An Elasticsearch node whose plugins/modules are classes on the classpath (e.g. Netty4Plugin).
 * In this package because Node(NodeConstruction), NodeConstruction and NodeServiceProvider
 * are package-private in 8.x.
 */
public class EsNode extends Node {

    public EsNode(Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(NodeConstruction.prepareConstruction(environment, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader unused) {
                return new ClasspathPluginsService(env.settings(), env, pluginClasses);
            }
        }, true));
    }

    /**
     * The stock listener records the node and cluster id for the logs once per JVM, and fails for the
     * second node of several in one JVM; the log pattern here does not use them.
     */
    @Override
    protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {}

    /** Loopback-only development node: production bootstrap checks do not apply. */
    @Override
    protected void validateNodeBeforeAcceptingRequests(
        BootstrapContext context,
        BoundTransportAddress boundTransportAddress,
        List<BootstrapCheck> bootstrapChecks
    ) {}
}
