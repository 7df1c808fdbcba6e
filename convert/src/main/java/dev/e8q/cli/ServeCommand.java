package dev.e8q.cli;

import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.chat.ChatTemplateFiles;
import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.llama.generate.StopTokens;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.serve.OpenAiServer;
import dev.e8q.serve.ServedModel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code e8q serve}: the OpenAI API's chat and completion endpoints over HTTP, for existing clients and front ends. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over HTTP with the OpenAI API's text endpoints: POST /v1/chat/completions (through the "
                + "model's chat template), POST /v1/completions, GET /v1/models, GET /health; \"stream\": true answers with "
                + "server-sent events. One generation runs at a time; requests share one KV cache, so a conversation's "
                + "earlier turns are not computed again. Runs until stopped."})
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions run = new ModelOptions();

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "address to listen on; 0.0.0.0 for every interface (then set --api-key) (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--context", defaultValue = "4096",
            description = "most tokens a prompt and its reply may hold, at most the model's context (default: ${DEFAULT-VALUE})")
    int context;

    @Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @Option(names = "--chat-template", description = "a Jinja chat template file to use instead of the model's own")
    Path chatTemplate;

    @Option(names = "--model-name", description = "the model's id in the API (default: the model's file or directory name)")
    String modelName;

    @Option(names = "--api-key", description = "require 'Authorization: Bearer KEY' (default: the E8Q_API_KEY variable, else none)")
    String apiKey;

    @Option(names = "--cors-origin", description = "let web pages of this origin call the API from a browser "
            + "(e.g. http://localhost:3000; * for any page, which lets every site you visit use the model) (default: none)")
    String corsOrigin;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        if (context < 2) throw new IllegalArgumentException("--context must be at least 2, got " + context);
        KvCache.Precision kv = kvCache.precision();
        Path dir = run.configDir();
        ChatTemplate template = chatTemplate != null ? ChatTemplateFiles.read(chatTemplate, dir)
                : dir != null ? ChatTemplateFiles.find(dir).orElse(null) : null;
        if (template != null) {
            // A broken template would otherwise fail every chat request; a server should not start that way.
            try {
                template.render(List.of(ChatMessage.user("Hello")), true);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the chat template cannot render a one-message conversation: " + e.getMessage(), e);
            }
        }
        LlamaModel m = run.load();
        String id = modelName != null ? modelName : run.modelName();
        GenerationDefaults defaults = GenerationDefaults.read(dir);
        ServedModel served = new ServedModel(id, m, run.tokenizer(null), template, StopTokens.of(m.config(), dir), context, kv, defaults);
        String key = apiKey != null ? apiKey : System.getenv("E8Q_API_KEY");
        // The JDK server waits for a request's headers and body without limit, so a client that trickled them would hold
        // a connection and a worker for ever; with this, it closes such a connection after a minute (seen with 3 s: both a
        // stalled header and a stalled body were cut off). Read once, when the first server is made.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) System.setProperty("sun.net.httpserver.maxReqTime", "60");
        OpenAiServer server = new OpenAiServer(served, new InetSocketAddress(host, port), key, corsOrigin, System.err);
        server.start();
        System.err.printf("e8q serve: %s on http://%s:%d/v1 (context %d tokens%s%s%s)%n", id, host, server.port(), served.context(),
                template == null ? "; no chat template: /v1/completions only" : "", key == null ? "" : "; API key required",
                defaults.any() ? "; sampling defaults from generation_config.json: " + defaults.describe() : "");
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        forever.await();
        return 0;
    }
}
