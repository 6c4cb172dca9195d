package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A PluginsService whose plugins are classes already on the JVM classpath, instead of
 * bundles unpacked under ES_HOME/modules and ES_HOME/plugins. Lives in this package because
 * the hooks it needs (LoadedPlugin, loadPlugin, loadExtensions) are package-private.
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Settings settings, Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(settings, environment.configDir(), new PluginsLoader(Set.of(), Set.of(), Map.of()));
        List<LoadedPlugin> list = new ArrayList<>();
        for (Class<? extends Plugin> cls : pluginClasses) {
            Plugin instance = loadPlugin(cls, settings, environment.configDir());
            PluginDescriptor descriptor = new PluginDescriptor(
                cls.getSimpleName(),
                "loaded from the classpath by tools/es-node",
                Build.current().version(),
                Build.current().version(),
                Integer.toString(Runtime.version().feature()),
                cls.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false
            );
            list.add(new LoadedPlugin(descriptor, instance, cls.getClassLoader()));
        }
        loadExtensions(list);
        this.loaded = List.copyOf(list);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }

    @Override
    public PluginsAndModules info() {
        // report them as modules, as a real distribution does for transport-netty4
        return new PluginsAndModules(List.of(), loaded.stream().map(LoadedPlugin::descriptor).toList());
    }
}
