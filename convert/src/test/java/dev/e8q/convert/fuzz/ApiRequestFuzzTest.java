package dev.e8q.convert.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.fuzz.FuzzSupport;
import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.serve.ApiException;
import dev.e8q.serve.ApiRequest;
import dev.e8q.serve.GenerationParams;
import java.util.Arrays;

/**
 * {@link ApiRequest}: the JSON body of an {@code e8q serve} request, which comes from the network. The first byte picks
 * the endpoint (even: chat, odd: completion), the rest is the body. Anything must either parse into a request whose
 * every field is in range, or be refused with an {@link ApiException} (a 4xx answer); nothing else may escape (the
 * records' own range checks throw IllegalArgumentException, which would be a 500).
 */
class ApiRequestFuzzTest {
    /** Qwen2 Instruct's recommendation: every field a request leaves out must still come out in range. */
    static final GenerationDefaults DEFAULTS = new GenerationDefaults(0.7f, 20, 0.8f, null, 1.05f, null);

    @FuzzTest(maxDuration = "10m")
    @DictionaryEntries({"\"messages\"", "\"role\"", "\"content\"", "\"user\"", "\"assistant\"", "\"system\"", "\"type\"", "\"text\"",
            "\"prompt\"", "\"max_tokens\"", "\"max_completion_tokens\"", "\"temperature\"", "\"top_p\"", "\"seed\"", "\"stop\"",
            "\"stream\"", "\"stream_options\"", "\"include_usage\"", "\"n\"", "\"logprobs\"", "\"tools\"", "\"response_format\"",
            "\"presence_penalty\"", "\"frequency_penalty\"", "\"top_k\"", "\"min_p\"", "\"repeat_penalty\"",
            "\"repeat_last_n\"", "\"logit_bias\"", "\"suffix\"", "\"echo\"", "true", "null", "1e999",
            "-0.0", "9223372036854775808"})
    void fuzz(byte[] data) {
        if (data.length == 0) return;
        boolean chat = (data[0] & 1) == 0;
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        FuzzSupport.run(data.length, () -> check(chat ? ApiRequest.chat(body, DEFAULTS) : ApiRequest.completion(body, DEFAULTS), chat), null,
                ApiException.class);
    }

    static void check(ApiRequest r, boolean chat) {
        if (chat != (r.messages() != null) || chat == (r.prompt() != null)) throw new AssertionError("wrong kind: " + r);
        if (chat && (r.messages().isEmpty() || r.messages().stream().anyMatch(m -> m.role().isEmpty() || m.content() == null)))
            throw new AssertionError("messages: " + r.messages());
        GenerationParams p = r.params();
        if (p.maxTokens() != null && p.maxTokens() < 1) throw new AssertionError("max tokens " + p.maxTokens());
        if (!(p.sampling().temperature() <= 2)) throw new AssertionError("temperature " + p.sampling());
        if (p.stops().size() > 16 || p.stops().stream().anyMatch(String::isEmpty)) throw new AssertionError("stops " + p.stops());
        if (p.includeUsage() && !p.stream()) throw new AssertionError("usage without a stream");
    }
}
