package dev.e8q.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP server with the OpenAI API's text endpoints, so that existing clients and front ends can use an e8q model:
 * {@code POST /v1/chat/completions}, {@code POST /v1/completions} (both also as server-sent events with
 * {@code "stream": true}), {@code GET /v1/models} and {@code GET /health}. Requests are answered one generation at a
 * time ({@link ServedModel}); with an API key every endpoint but /health wants {@code Authorization: Bearer KEY}. Web
 * pages of other origins may call it only when it is started with their origin (CORS): a page the user happens to open
 * should not be able to use their local model.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Bodies larger than this are refused (413): a long conversation is a few hundred KiB. */
    public static final int MAX_BODY_BYTES = 16 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServedModel model;
    private final byte[] apiKey;
    private final String corsOrigin;
    private final PrintStream log;
    private final HttpServer http;
    private final ExecutorService workers;
    private final long started = System.currentTimeMillis() / 1000;

    /**
     * @param address    where to listen (port 0: any free port, see {@link #port})
     * @param apiKey     null: no authentication
     * @param corsOrigin the web origin whose pages may call the API ({@code https://chat.example}, or {@code *} for
     *                   any); null: none
     * @param log        one line per request
     */
    public OpenAiServer(ServedModel model, InetSocketAddress address, String apiKey, String corsOrigin, PrintStream log)
            throws IOException {
        this.model = model;
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        this.corsOrigin = corsOrigin;
        this.log = log;
        this.http = HttpServer.create(address, 64);
        // Platform threads: a chat template's render limits count the allocations of the thread it runs on.
        this.workers = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "e8q-serve");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(workers);
        http.createContext("/", this::handle);
    }

    public void start() {
        http.start();
    }

    /** The port it listens on. */
    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        workers.shutdownNow();
    }

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        String path = ex.getRequestURI().getPath(), method = ex.getRequestMethod();
        String note = "";
        int status;
        try (ex) {
            try {
                if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
                if (corsOrigin != null) {
                    ex.getResponseHeaders().set("Access-Control-Allow-Origin", corsOrigin);
                    ex.getResponseHeaders().set("Vary", "Origin");
                }
                // A browser's preflight carries no credentials; it only asks what the page may send.
                boolean preflight = corsOrigin != null && method.equals("OPTIONS");
                if (!preflight && !path.equals("/health") && !authorized(ex)) {
                    throw new ApiException(401, "authentication_error", "missing or wrong API key (Authorization: Bearer KEY)", null,
                            "invalid_api_key");
                }
                if (preflight) {
                    ex.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
                    ex.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Content-Type");
                    ex.getResponseHeaders().set("Access-Control-Max-Age", "600");
                    ex.sendResponseHeaders(204, -1);
                } else note = switch (path) {
                    case "/health" -> get(ex, method, () -> JSON.createObjectNode().put("status", "ok"));
                    case "/v1/models" -> get(ex, method, this::models);
                    case "/v1/chat/completions" -> post(ex, method, true);
                    case "/v1/completions" -> post(ex, method, false);
                    default -> {
                        if (path.equals("/v1/models/" + model.id())) yield get(ex, method, this::modelObject);
                        throw notFound(path);
                    }
                };
                status = ex.getResponseCode();
            } catch (ApiException e) {
                status = e.status();
                note = e.getMessage();
                sendError(ex, e);
            } catch (RuntimeException e) { // a bug: the client hears of it, the log keeps the trace
                status = 500;
                note = e.toString();
                e.printStackTrace(log);
                sendError(ex, new ApiException(500, "server_error", "internal error: " + e, null, null));
            }
        } catch (IOException e) { // the client went away
            status = -1;
            note = "connection: " + e.getMessage();
        }
        log.printf(Locale.ROOT, "%s %s %d %.3f s%s%n", method, path, status, (System.nanoTime() - t0) / 1e9,
                note.isEmpty() ? "" : " " + note);
    }

    private boolean authorized(HttpExchange ex) {
        if (apiKey == null) return true;
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(apiKey, h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    private static ApiException notFound(String path) {
        return new ApiException(404, "not_found_error", "no endpoint " + path, null, null);
    }

    private static ApiException wrongMethod(HttpExchange ex, String method, String allowed) {
        ex.getResponseHeaders().set("Allow", allowed);
        return new ApiException(405, "invalid_request_error", method + " is not allowed here; use " + allowed, null, null);
    }

    private String get(HttpExchange ex, String method, java.util.function.Supplier<ObjectNode> body) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) throw wrongMethod(ex, method, "GET");
        sendJson(ex, 200, body.get());
        return "";
    }

    private ObjectNode modelObject() {
        return JSON.createObjectNode().put("id", model.id()).put("object", "model").put("created", started).put("owned_by", "e8q")
                .put("context_length", model.context());
    }

    private ObjectNode models() {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        list.putArray("data").add(modelObject());
        return list;
    }

    private String post(HttpExchange ex, String method, boolean chat) throws IOException {
        if (!method.equals("POST")) throw wrongMethod(ex, method, "POST");
        byte[] body = readBody(ex);
        ApiRequest req = chat ? ApiRequest.chat(body, model.defaults()) : ApiRequest.completion(body, model.defaults());
        int[] prompt = chat ? model.chatPrompt(req.messages()) : model.completionPrompt(req.prompt());
        model.checkFits(prompt);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        ServedModel.Outcome o;
        if (req.params().stream()) o = stream(ex, chat, id, created, prompt, req.params());
        else {
            o = model.generate(prompt, req.params(), text -> true);
            ObjectNode r = head(id, chat ? "chat.completion" : "text_completion", created);
            ObjectNode choice = r.putArray("choices").addObject().put("index", 0);
            if (chat) choice.putObject("message").put("role", "assistant").put("content", o.text());
            else choice.put("text", o.text());
            if (!chat) choice.putNull("logprobs");
            choice.put("finish_reason", o.finishReason());
            usage(r, o);
            sendJson(ex, 200, r);
        }
        return String.format(Locale.ROOT, "prompt %d (%d cached), completion %d at %.2f tok/s, %s", o.promptTokens(), o.cachedTokens(),
                o.completionTokens(), o.generateSeconds() > 0 ? o.completionTokens() / o.generateSeconds() : 0, o.finishReason());
    }

    /** Server-sent events: a chunk per settled piece of text, then one with the finish reason, usage if asked, [DONE]. */
    private ServedModel.Outcome stream(HttpExchange ex, boolean chat, String id, long created, int[] prompt, GenerationParams p)
            throws IOException {
        String object = chat ? "chat.completion.chunk" : "text_completion";
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        if (chat) event(out, chunk(id, object, created, true, null, null));
        ServedModel.Outcome o;
        try {
            o = model.generate(prompt, p, text -> {
                try {
                    event(out, chunk(id, object, created, chat, text, null));
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (ApiException | IllegalArgumentException e) { // headers are gone: the error becomes an event
            ApiException a = e instanceof ApiException x ? x : ApiException.invalid(e.getMessage(), null);
            event(out, errorBody(a));
            throw new IOException("ended the stream with an error: " + a.getMessage());
        }
        event(out, chunk(id, object, created, chat, null, o.finishReason()));
        if (p.includeUsage()) {
            ObjectNode u = head(id, object, created);
            u.putArray("choices");
            usage(u, o);
            event(out, u);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        return o;
    }

    /** A streamed chunk: the assistant role first (chat), text, or the finish reason. */
    private ObjectNode chunk(String id, String object, long created, boolean chat, String text, String finish) {
        ObjectNode c = head(id, object, created);
        ObjectNode choice = ((ArrayNode) c.putArray("choices")).addObject().put("index", 0);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (text == null && finish == null) delta.put("role", "assistant").put("content", "");
            else if (text != null) delta.put("content", text);
        } else {
            choice.put("text", text == null ? "" : text);
            choice.putNull("logprobs");
        }
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        return c;
    }

    private ObjectNode head(String id, String object, long created) {
        return JSON.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model.id());
    }

    private static void usage(ObjectNode r, ServedModel.Outcome o) {
        ObjectNode u = r.putObject("usage").put("prompt_tokens", o.promptTokens()).put("completion_tokens", o.completionTokens())
                .put("total_tokens", o.promptTokens() + o.completionTokens());
        u.putObject("prompt_tokens_details").put("cached_tokens", o.cachedTokens());
    }

    private static void event(OutputStream out, ObjectNode data) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY_BYTES) throw tooLarge();
            } catch (NumberFormatException e) {
                throw ApiException.invalid("Content-Length is not a number: " + length, null);
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
            if (b.length > MAX_BODY_BYTES) throw tooLarge();
            return b;
        }
    }

    private static ApiException tooLarge() {
        return new ApiException(413, "invalid_request_error", "the body is larger than " + (MAX_BODY_BYTES >> 20) + " MiB", null, null);
    }

    private static ObjectNode errorBody(ApiException e) {
        ObjectNode r = JSON.createObjectNode();
        ObjectNode err = r.putObject("error").put("message", e.getMessage()).put("type", e.type());
        if (e.param() == null) err.putNull("param");
        else err.put("param", e.param());
        if (e.code() == null) err.putNull("code");
        else err.put("code", e.code());
        return r;
    }

    private static void sendError(HttpExchange ex, ApiException e) throws IOException {
        if (ex.getResponseCode() != -1) return; // headers already sent (a stream): nothing more can be said
        sendJson(ex, e.status(), errorBody(e));
    }

    private static void sendJson(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : b.length);
        if (!head) ex.getResponseBody().write(b);
    }
}
