package township.esnode;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.UpperCaseFilter;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.LengthFilter;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenizer;
import org.apache.lucene.analysis.ngram.NGramTokenizer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.IndexVersion;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Stand-ins for the pieces of the ES distribution's modules that are not published on Maven Central
 * but that clients and simple index settings commonly expect:
 * <ul>
 *   <li>{@code GET /} and {@code HEAD /} (module rest-root): the node info document that
 *       {@code Elasticsearch.info()} / {@code ping()} read, in the same shape as the real one;</li>
 *   <li>a few analysis components of module analysis-common, each built on the same Lucene class
 *       and honouring the same parameters as the real one: tokenizers {@code whitespace},
 *       {@code keyword}, {@code ngram}, {@code edge_ngram} (without {@code token_chars}); token filters
 *       {@code uppercase}, {@code asciifolding}, {@code cjk_width}, {@code cjk_bigram}, {@code trim},
 *       {@code length}.</li>
 * </ul>
 * The server itself already has the standard/simple/stop/whitespace/keyword analyzers, the standard
 * tokenizer and the lowercase/stop/shingle filters, all query types, aggregations such as terms, and
 * highlighting.
 */
public class EsNodeExtrasPlugin extends Plugin implements ActionPlugin, AnalysisPlugin {

    private volatile ClusterService clusterService;

    @Override
    public Collection<?> createComponents(PluginServices services) {
        this.clusterService = services.clusterService();
        return List.of();
    }

    // ---- GET / and HEAD / -------------------------------------------------------------------

    @Override
    public Collection<RestHandler> getRestHandlers(
        Settings settings,
        NamedWriteableRegistry namedWriteableRegistry,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster,
        Predicate<NodeFeature> clusterSupportsFeature
    ) {
        return List.of(new RootHandler());
    }

    private final class RootHandler extends BaseRestHandler {
        @Override
        public String getName() {
            return "es_node_main_action";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            if (request.method() == RestRequest.Method.HEAD) {
                return channel -> channel.sendResponse(new RestResponse(RestStatus.OK, RestResponse.TEXT_CONTENT_TYPE, BytesArray.EMPTY));
            }
            return channel -> {
                Build build = Build.current();
                XContentBuilder b = channel.newBuilder();
                b.startObject();
                b.field("name", clusterService.getNodeName());
                b.field("cluster_name", clusterService.getClusterName().value());
                b.field("cluster_uuid", clusterService.state().metadata().clusterUUID());
                b.startObject("version")
                    .field("number", build.qualifiedVersion())
                    .field("build_flavor", build.flavor())
                    .field("build_type", build.type().displayName())
                    .field("build_hash", build.hash())
                    .field("build_date", build.date())
                    .field("build_snapshot", build.isSnapshot())
                    .field("lucene_version", IndexVersion.current().luceneVersion().toString())
                    .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                    .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                    .endObject();
                b.field("tagline", "You Know, for Search");
                b.endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, b));
            };
        }
    }

    // ---- analysis ---------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of(
            "whitespace",
            (indexSettings, env, name, s) -> tokenizer(indexSettings, s, name, () -> {
                int max = s.getAsInt("max_token_length", StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH);
                return new WhitespaceTokenizer(TokenStream.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, max);
            }),
            "keyword",
            (indexSettings, env, name, s) -> tokenizer(indexSettings, s, name, () -> {
                int buffer = s.getAsInt("buffer_size", 256);
                return new KeywordTokenizer(buffer);
            }),
            "ngram",
            (indexSettings, env, name, s) -> ngram(indexSettings, s, name, false),
            "edge_ngram",
            (indexSettings, env, name, s) -> ngram(indexSettings, s, name, true)
        );
    }

    private static TokenizerFactory ngram(IndexSettings indexSettings, Settings s, String name, boolean edge) {
        if (s.hasValue("token_chars") || s.hasValue("custom_token_chars")) {
            throw new IllegalArgumentException(
                "tools/es-node: [" + name + "] token_chars is not supported here (module analysis-common is not on Maven Central)"
            );
        }
        int min = s.getAsInt("min_gram", 1);
        int max = s.getAsInt("max_gram", 2);
        if (edge == false && indexSettings != null && max - min > indexSettings.getMaxNgramDiff()) {
            throw new IllegalArgumentException(
                "The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: ["
                    + indexSettings.getMaxNgramDiff()
                    + "] but was ["
                    + (max - min)
                    + "]. This limit can be set by changing the ["
                    + IndexSettings.MAX_NGRAM_DIFF_SETTING.getKey()
                    + "] index level setting."
            );
        }
        return tokenizer(indexSettings, s, name, () -> edge ? new EdgeNGramTokenizer(min, max) : new NGramTokenizer(min, max));
    }

    private static TokenizerFactory tokenizer(
        IndexSettings indexSettings,
        Settings s,
        String name,
        Supplier<org.apache.lucene.analysis.Tokenizer> make
    ) {
        return new AbstractTokenizerFactory(indexSettings, s, name) {
            @Override
            public org.apache.lucene.analysis.Tokenizer create() {
                return make.get();
            }
        };
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "uppercase",
            (indexSettings, env, name, s) -> normalizing(name, s, UpperCaseFilter::new),
            "asciifolding",
            (indexSettings, env, name, s) -> {
                boolean preserve = s.getAsBoolean("preserve_original", false);
                return normalizing(name, s, ts -> new ASCIIFoldingFilter(ts, preserve));
            },
            "cjk_width",
            (indexSettings, env, name, s) -> normalizing(name, s, CJKWidthFilter::new),
            "cjk_bigram",
            (indexSettings, env, name, s) -> {
                int flags = CJKBigramFilter.HAN | CJKBigramFilter.HIRAGANA | CJKBigramFilter.KATAKANA | CJKBigramFilter.HANGUL;
                for (String script : s.getAsList("ignored_scripts")) {
                    switch (script) {
                        case "han" -> flags &= ~CJKBigramFilter.HAN;
                        case "hiragana" -> flags &= ~CJKBigramFilter.HIRAGANA;
                        case "katakana" -> flags &= ~CJKBigramFilter.KATAKANA;
                        case "hangul" -> flags &= ~CJKBigramFilter.HANGUL;
                        default -> throw new IllegalArgumentException("unknown script [" + script + "] in ignored_scripts");
                    }
                }
                boolean unigrams = s.getAsBoolean("output_unigrams", false);
                int f = flags;
                return filter(name, s, ts -> new CJKBigramFilter(ts, f, unigrams));
            },
            "trim",
            (indexSettings, env, name, s) -> normalizing(name, s, TrimFilter::new),
            "length",
            (indexSettings, env, name, s) -> {
                int min = s.getAsInt("min", 0);
                int max = s.getAsInt("max", Integer.MAX_VALUE);
                return filter(name, s, ts -> new LengthFilter(ts, min, max));
            }
        );
    }

    /** A filter that may not be used in a normalizer (as in ES for cjk_bigram and length). */
    private static TokenFilterFactory filter(String name, Settings s, Function<TokenStream, TokenStream> make) {
        return new AbstractTokenFilterFactory(name, s) {
            @Override
            public TokenStream create(TokenStream ts) {
                return make.apply(ts);
            }
        };
    }

    /** A per-character filter that custom normalizers may use, as in ES. */
    private static TokenFilterFactory normalizing(String name, Settings s, Function<TokenStream, TokenStream> make) {
        return new NormalizingFilter(name, s, make);
    }

    private static final class NormalizingFilter extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final Function<TokenStream, TokenStream> make;

        NormalizingFilter(String name, Settings s, Function<TokenStream, TokenStream> make) {
            super(name, s);
            this.make = make;
        }

        @Override
        public TokenStream create(TokenStream ts) {
            return make.apply(ts);
        }
    }
}
