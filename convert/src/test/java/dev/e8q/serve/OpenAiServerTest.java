package dev.e8q.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.chat.ChatTemplateFiles;
import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Penalties;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.generate.StopTokens;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-style server on TinyStories-656K with a story chat template ({@link TestData#chatModel}): answers equal
 * what the runtime generates for the same prompt, streamed answers equal whole ones, and bad requests get the status
 * and error object a client expects.
 */
class OpenAiServerTest {
    @TempDir
    static Path dir;

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newHttpClient();
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    static LlamaModel model;
    static Tokenizer tokenizer;
    static ChatTemplate template;
    static OpenAiServer server, keyed;

    @BeforeAll
    static void start() throws Exception {
        TestData.chatModel(dir, TestData.STORY_CHAT_TEMPLATE);
        model = ModelLoader.load(dir, DType.F32);
        tokenizer = ModelLoader.tokenizer(dir, null);
        template = ChatTemplateFiles.find(dir).orElseThrow();
        PrintStream log = new PrintStream(LOG, true, StandardCharsets.UTF_8);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        server = new OpenAiServer(served(256), any, null, null, log);
        server.start();
        keyed = new OpenAiServer(served(64), any, "sesame", "http://localhost:3000", log);
        keyed.start();
    }

    static ServedModel served(int context) throws java.io.IOException {
        return new ServedModel("tiny", model, tokenizer, template, StopTokens.of(model.config(), dir), context, KvCache.Precision.F32,
                GenerationDefaults.NONE);
    }

    @AfterAll
    static void stop() {
        server.close();
        keyed.close();
    }

    record Answer(int status, String body, HttpResponse<String> response) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    static Answer call(OpenAiServer s, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r);
    }

    static Answer post(String path, ObjectNode body) throws Exception {
        return call(server, "POST", path, JSON.writeValueAsString(body));
    }

    static ObjectNode chatBody(int maxTokens, String... userAndAssistant) {
        ObjectNode b = JSON.createObjectNode().put("model", "tiny").put("temperature", 0).put("max_tokens", maxTokens);
        ArrayNode ms = b.putArray("messages");
        for (int i = 0; i < userAndAssistant.length; i++) {
            ms.addObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", userAndAssistant[i]);
        }
        return b;
    }

    /** The events of a streamed answer, [DONE] excluded; checks that it ends with [DONE]. */
    static List<JsonNode> events(String body) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        String[] blocks = body.split("\n\n");
        assertEquals("data: [DONE]", blocks[blocks.length - 1], body);
        for (int i = 0; i < blocks.length - 1; i++) {
            assertTrue(blocks[i].startsWith("data: "), blocks[i]);
            out.add(JSON.readTree(blocks[i].substring(6)));
        }
        return out;
    }

    /** What the runtime generates greedily after these ids, as text, and whether it ended on a stop id. */
    static Generator.Result reference(int[] prompt, int maxTokens) throws java.io.IOException {
        return new Generator(model, KvCache.Precision.F32, StopTokens.of(model.config(), dir)).generate(prompt, maxTokens, Sampler.greedy(), null);
    }

    @Test
    void healthAndModels() throws Exception {
        assertEquals("ok", call(server, "GET", "/health", null).json().get("status").asText());
        JsonNode models = call(server, "GET", "/v1/models", null).json();
        assertEquals("tiny", models.at("/data/0/id").asText());
        assertEquals(256, models.at("/data/0/context_length").asInt());
        assertEquals(200, call(server, "GET", "/v1/models/tiny", null).status());
        assertEquals(404, call(server, "GET", "/v1/models/other", null).status());
    }

    @Test
    void aChatAnswerIsWhatTheRuntimeGeneratesForTheRenderedConversation() throws Exception {
        JsonNode r = post("/v1/chat/completions", chatBody(30, "Once upon a time, there was a little dog named Max.")).json();
        int[] prompt = tokenizer.encode(template.render(List.of(ChatMessage.user("Once upon a time, there was a little dog named Max.")),
                true), false, false);
        Generator.Result ref = reference(prompt, 30);
        assertEquals("chat.completion", r.get("object").asText());
        assertEquals("assistant", r.at("/choices/0/message/role").asText());
        assertEquals(tokenizer.decode(ref.generated()), r.at("/choices/0/message/content").asText());
        assertEquals(ref.stoppedAt() >= 0 ? "stop" : "length", r.at("/choices/0/finish_reason").asText());
        assertEquals(prompt.length, r.at("/usage/prompt_tokens").asInt());
        assertEquals(ref.generated().length, r.at("/usage/completion_tokens").asInt());
        assertEquals(prompt.length + ref.generated().length, r.at("/usage/total_tokens").asInt());
    }

    @Test
    void aStreamedAnswerEqualsTheWholeOne() throws Exception {
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            boolean chat = path.contains("chat");
            ObjectNode body = chat ? chatBody(25, "Lily saw a cat in the garden.")
                    : JSON.createObjectNode().put("prompt", "Lily saw a cat in the garden.").put("max_tokens", 25).put("temperature", 0);
            JsonNode whole = post(path, body).json();
            body.put("stream", true).putObject("stream_options").put("include_usage", true);
            Answer streamed = post(path, body);
            assertEquals(200, streamed.status());
            assertTrue(streamed.response().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<JsonNode> events = events(streamed.body());
            StringBuilder text = new StringBuilder();
            String finish = null;
            for (JsonNode e : events.subList(0, events.size() - 1)) {
                assertEquals(chat ? "chat.completion.chunk" : "text_completion", e.get("object").asText());
                assertEquals(whole.get("model"), e.get("model"));
                JsonNode c = e.at("/choices/0");
                text.append(chat ? c.at("/delta/content").asText("") : c.get("text").asText());
                if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
            }
            if (chat) assertEquals("assistant", events.get(0).at("/choices/0/delta/role").asText());
            String expected = chat ? whole.at("/choices/0/message/content").asText() : whole.at("/choices/0/text").asText();
            assertEquals(expected, text.toString(), path);
            assertEquals(whole.at("/choices/0/finish_reason").asText(), finish, path);
            JsonNode usage = events.getLast();
            assertTrue(usage.get("choices").isEmpty());
            assertEquals(whole.at("/usage/completion_tokens"), usage.at("/usage/completion_tokens"));
        }
    }

    @Test
    void aCompletionContinuesThePromptAfterBos() throws Exception {
        JsonNode r = post("/v1/completions", JSON.createObjectNode().put("prompt", "One day, Tom went to the park").put("max_tokens", 20)
                .put("temperature", 0)).json();
        Generator.Result ref = reference(tokenizer.encode("One day, Tom went to the park", true, false), 20);
        assertEquals("text_completion", r.get("object").asText());
        assertEquals(tokenizer.decode(ref.generated()), r.at("/choices/0/text").asText());
        // Without max_tokens, 16 as in OpenAI's API.
        JsonNode d = post("/v1/completions", JSON.createObjectNode().put("prompt", "One day, Tom went to the park").put("temperature", 0)).json();
        assertEquals(Math.min(16, ref.generated().length), d.at("/usage/completion_tokens").asInt());
    }

    @Test
    void stopStringsEndTheTextWhetherStreamedOrNot() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("prompt", "Once upon a time, there was a girl named").put("max_tokens", 40)
                .put("temperature", 0);
        String full = post("/v1/completions", body).json().at("/choices/0/text").asText();
        int space = full.indexOf(' ', full.length() / 3);
        assertTrue(space > 0, full);
        String stop = full.substring(space, Math.min(full.length(), space + 4));
        body.putArray("stop").add(stop).add("zzzz-never");
        JsonNode cut = post("/v1/completions", body).json();
        assertEquals(full.substring(0, full.indexOf(stop)), cut.at("/choices/0/text").asText());
        assertEquals("stop", cut.at("/choices/0/finish_reason").asText());
        assertTrue(cut.at("/usage/completion_tokens").asInt() < 40);
        body.put("stream", true);
        StringBuilder streamed = new StringBuilder();
        for (JsonNode e : events(post("/v1/completions", body).body())) streamed.append(e.at("/choices/0/text").asText());
        assertEquals(cut.at("/choices/0/text").asText(), streamed.toString());
    }

    @Test
    void penaltiesAndFiltersAreTheRuntimes() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("prompt", "The dog ran and ran and").put("max_tokens", 30).put("temperature", 0);
        int[] prompt = tokenizer.encode("The dog ran and ran and", true, false);
        String plain = post("/v1/completions", body).json().at("/choices/0/text").asText();
        body.put("frequency_penalty", 1.5).put("presence_penalty", 0.5).put("repeat_penalty", 1.3).put("repeat_last_n", 16);
        String penalized = post("/v1/completions", body).json().at("/choices/0/text").asText();
        Generator g = new Generator(model, KvCache.Precision.F32, StopTokens.of(model.config(), dir));
        Generator.Result ref = g.generate(prompt, 30, new Penalties(1.3f, 0.5f, 1.5f, 16).apply(Sampler.greedy()), null);
        assertEquals(tokenizer.decode(ref.generated()), penalized);
        assertFalse(plain.equals(penalized), "the penalties changed nothing: " + plain);
        // top_k 1 is greedy at any temperature.
        ObjectNode k1 = JSON.createObjectNode().put("prompt", "The dog ran and ran and").put("max_tokens", 30).put("temperature", 1.5)
                .put("top_k", 1);
        assertEquals(plain, post("/v1/completions", k1).json().at("/choices/0/text").asText());
        assertError(post("/v1/completions", k1.put("min_p", 1)), 400, "min_p", "less than 1");
        assertError(post("/v1/completions", k1.put("min_p", 0).put("top_k", -1)), 400, "top_k", "at least 0");
        // Fuzzing found these: positive, or below 1, as doubles, but 0 and 1 as the floats the sampler takes (a 500 before).
        assertError(call(server, "POST", "/v1/completions", "{\"prompt\": \"x\", \"top_p\": 1e-50}"), 400, "top_p", "greater than 0");
        assertError(call(server, "POST", "/v1/completions", "{\"prompt\": \"x\", \"min_p\": 0.99999999999}"), 400, "min_p", "less than 1");
        assertError(call(server, "POST", "/v1/completions", "{\"prompt\": \"x\", \"repeat_penalty\": 1e-60}"), 400, "repeat_penalty",
                "greater than 0");
    }

    @Test
    void aConversationsNextTurnComesFromTheCache() throws Exception {
        JsonNode first = post("/v1/chat/completions", chatBody(20, "Tom had a red ball.")).json();
        String reply = first.at("/choices/0/message/content").asText();
        JsonNode second = post("/v1/chat/completions", chatBody(20, "Tom had a red ball.", reply, "The ball was big.")).json();
        int firstPrompt = first.at("/usage/prompt_tokens").asInt();
        assertTrue(second.at("/usage/prompt_tokens_details/cached_tokens").asInt() >= firstPrompt, second.toString());
    }

    @Test
    void theSameSeedSamplesTheSameTextAndConcurrentRequestsAllComeBack() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("prompt", "The bird sang").put("max_tokens", 20).put("temperature", 1.0).put("seed", 7);
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            all.add(CLIENT.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString()));
        }
        String text = null;
        for (var f : all) {
            JsonNode r = JSON.readTree(f.get().body());
            if (text == null) text = r.at("/choices/0/text").asText();
            assertEquals(text, r.at("/choices/0/text").asText());
        }
        assertFalse(text.isEmpty());
    }

    static void assertError(Answer a, int status, String param, String messagePart) throws Exception {
        assertEquals(status, a.status(), a.body());
        JsonNode e = a.json().get("error");
        assertTrue(e.get("message").asText().contains(messagePart), e.toString());
        if (param != null) assertEquals(param, e.get("param").asText(), e.toString());
        assertTrue(e.hasNonNull("type"), e.toString());
    }

    @Test
    void badRequestsGetAStatusAndAnErrorThatNamesTheProblem() throws Exception {
        assertError(call(server, "POST", "/v1/chat/completions", "{\"messages\": ["), 400, null, "not valid JSON");
        assertError(call(server, "POST", "/v1/chat/completions", "[1, 2]"), 400, null, "JSON object");
        assertError(post("/v1/chat/completions", JSON.createObjectNode().put("model", "tiny")), 400, "messages", "non-empty array");
        assertError(post("/v1/chat/completions", chatBody(5, "Hi.").put("temperature", 3)), 400, "temperature", "0.0 to 2.0");
        assertError(post("/v1/chat/completions", chatBody(5, "Hi.").put("max_tokens", 0)), 400, "max_tokens", "at least 1");
        assertError(post("/v1/chat/completions", chatBody(5, "Hi.").put("n", 2)), 400, null, "does not support 'n other than 1'");
        assertError(post("/v1/chat/completions", chatBody(5, "Hi.").put("stop", 5)), 400, "stop", "string");
        ObjectNode image = chatBody(5);
        image.withArray("messages").addObject().put("role", "user").putArray("content").addObject().put("type", "image_url");
        assertError(post("/v1/chat/completions", image), 400, "messages[0].content", "only text parts");
        ObjectNode system = chatBody(5, "Hi.");
        system.withArray("messages").insertObject(0).put("role", "system").put("content", "Be kind.");
        assertError(post("/v1/chat/completions", system), 400, "messages", "no system role");
        assertError(post("/v1/completions", JSON.createObjectNode().put("prompt", "The dog ran. ".repeat(200))), 400, null, "context holds 256");
        assertEquals("context_length_exceeded",
                post("/v1/completions", JSON.createObjectNode().put("prompt", "The dog ran. ".repeat(200))).json().at("/error/code").asText());
        // Streamed, the refusal still comes as a status and an error object, not as an event after a 200.
        ObjectNode longStream = JSON.createObjectNode().put("prompt", "The dog ran. ".repeat(200)).put("stream", true);
        assertError(post("/v1/completions", longStream), 400, null, "context holds 256");
        Answer get = call(server, "GET", "/v1/chat/completions", null);
        assertError(get, 405, null, "use POST");
        assertEquals("POST", get.response().headers().firstValue("Allow").orElse(""));
        assertError(call(server, "GET", "/v2/nothing", null), 404, null, "no endpoint /v2/nothing");
        assertError(call(server, "POST", "/v1/completions", "x".repeat(OpenAiServer.MAX_BODY_BYTES + 1)), 413, null, "larger than 16 MiB");
        // None of this took the server down.
        assertEquals(200, post("/v1/completions", JSON.createObjectNode().put("prompt", "Hi").put("max_tokens", 2)).status());
    }

    @Test
    void anApiKeyGuardsEverythingButHealth() throws Exception {
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("prompt", "Hi").put("max_tokens", 2));
        assertError(call(keyed, "POST", "/v1/completions", body), 401, null, "API key");
        assertError(call(keyed, "POST", "/v1/completions", body, "Authorization", "Bearer sesam"), 401, null, "API key");
        assertError(call(keyed, "GET", "/v1/models", null), 401, null, "API key");
        assertEquals(200, call(keyed, "POST", "/v1/completions", body, "Authorization", "Bearer sesame").status());
        assertEquals(200, call(keyed, "GET", "/health", null).status());
    }

    @Test
    void onlyTheNamedWebOriginIsLetIn() throws Exception {
        // Without --cors-origin: no header that would let a browser page read the answer, and no preflight.
        Answer plain = call(server, "GET", "/health", null, "Origin", "https://evil.example");
        assertTrue(plain.response().headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        assertEquals(405, call(server, "OPTIONS", "/v1/chat/completions", null, "Origin", "https://evil.example").status());
        // With it: the preflight passes without the key, and answers name the origin.
        Answer pre = call(keyed, "OPTIONS", "/v1/chat/completions", null, "Origin", "http://localhost:3000",
                "Access-Control-Request-Method", "POST");
        assertEquals(204, pre.status());
        assertEquals("http://localhost:3000", pre.response().headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertTrue(pre.response().headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));
        Answer denied = call(keyed, "GET", "/v1/models", null, "Origin", "http://localhost:3000");
        assertEquals(401, denied.status());
        assertEquals("http://localhost:3000", denied.response().headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    }

    @Test
    void everyRequestIsLogged() throws Exception {
        post("/v1/completions", JSON.createObjectNode().put("prompt", "Hi").put("max_tokens", 2));
        String log = LOG.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("POST /v1/completions 200"), log);
    }

    @Test
    void generationStopsOnceNobodyListens() throws Exception {
        ServedModel m = served(256);
        int[] prompt = tokenizer.encode("Once upon a time, there was a girl named", true, false);
        GenerationParams p = new GenerationParams(100, new Sampler.Settings(0, 0, 1, 0), Penalties.NONE, null, List.of(), true, false);
        String full = m.generate(prompt, p, t -> true).text();
        List<String> pieces = new ArrayList<>();
        ServedModel.Outcome o = m.generate(prompt, p, t -> {
            pieces.add(t);
            return pieces.size() < 3;
        });
        assertEquals(3, pieces.size(), "no piece after the sink said it was gone");
        assertEquals(String.join("", pieces), o.text());
        assertTrue(full.startsWith(o.text()) && o.text().length() < full.length(), o.text() + " | " + full);
        assertTrue(o.completionTokens() < 100, "stopped early: " + o.completionTokens());
    }

    @Test
    void whatARequestLeavesOutTheModelsGenerationConfigDecides() throws Exception {
        // A model whose makers ask for greedy decoding: a request without a temperature gets it; one with a temperature
        // gets that.
        ServedModel greedy = new ServedModel("tiny", model, tokenizer, template, StopTokens.of(model.config(), dir), 256,
                KvCache.Precision.F32, new GenerationDefaults(0f, null, null, null, null, null));
        try (OpenAiServer s = new OpenAiServer(greedy, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null, null,
                new PrintStream(LOG, true, StandardCharsets.UTF_8))) {
            s.start();
            ObjectNode body = JSON.createObjectNode().put("prompt", "The cat sat").put("max_tokens", 20);
            String text = call(s, "POST", "/v1/completions", JSON.writeValueAsString(body)).json().at("/choices/0/text").asText();
            assertEquals(tokenizer.decode(reference(tokenizer.encode("The cat sat", true, false), 20).generated()), text);
            ApiRequest asked = ApiRequest.completion(JSON.writeValueAsBytes(body.put("temperature", 0.9)), greedy.defaults());
            assertEquals(0.9f, asked.params().sampling().temperature());
        }
    }
}
