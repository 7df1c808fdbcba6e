package dev.e8q.llama.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template: the Jinja program in {@code tokenizer_config.json}'s {@code chat_template} that turns a
 * conversation into the exact prompt text an instruct model was trained on. Rendered as {@code transformers} renders it:
 * blocks trimmed and left-stripped, {@code raise_exception} fails the render, {@code strftime_now} gives the date,
 * {@code tojson} writes Python's JSON, and strings have Python's methods.
 */
public final class ChatTemplate {
    private final String source;
    private final String origin;
    private final Map<String, String> specialTokens;
    private final Jinjava jinja;

    /**
     * @param source        the Jinja text
     * @param origin        where it came from, for error messages (a file name)
     * @param specialTokens {@code bos_token}, {@code eos_token} and the like, passed to the template as variables
     */
    public ChatTemplate(String source, String origin, Map<String, String> specialTokens) {
        this(source, origin, specialTokens, DEFAULT_TIME_LIMIT);
    }

    /** Far more than any real template needs (they render in milliseconds); a hostile one is stopped. */
    public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(5);

    /** Bounds on what a render may build, so that a hostile template cannot exhaust memory. */
    static final long MAX_CHARS = 16L << 20;
    static final int MAX_ITEMS = 1 << 20;

    private final long timeLimitNanos;
    private final ThreadLocal<long[]> deadline = ThreadLocal.withInitial(() -> new long[1]);

    /** As {@link #ChatTemplate(String, String, Map)}, with a time limit per render. */
    public ChatTemplate(String source, String origin, Map<String, String> specialTokens, Duration timeLimit) {
        this.timeLimitNanos = timeLimit.toNanos();
        this.source = Objects.requireNonNull(source, "source");
        this.origin = Objects.requireNonNull(origin, "origin");
        this.specialTokens = Map.copyOf(specialTokens);
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        // Jinja's own semantics where Jinjava's defaults differ: operator precedence, whitespace control on
        // expressions, dict keys evaluated, iteration over a dict's keys. Not Jinjava's "Pyish" printing: it escapes
        // control characters inside the strings it prints, which would change the messages.
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder().withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true).withUseTrimmingForNotesAndExpressions(true)
                .withEvaluateMapKeys(true).withIterateOverMapKeys(true).build();
        // Jinja has no unbounded loop, but nested loops over range(1000) multiply; every node checks the clock.
        this.jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(jinja2).withElResolver(resolver)
                // Jinjava would otherwise run "{{ ... }}" found inside a printed value: a message could execute code.
                .withNestedInterpretationEnabled(false)
                .withMaxOutputSize(MAX_CHARS).withMaxStringLength(MAX_CHARS).withMaxListSize(MAX_ITEMS).withMaxMapSize(MAX_ITEMS)
                .withNodePreProcessor((node, interpreter) -> checkTime()).build());
        var ctx = jinja.getGlobalContext();
        ctx.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        ctx.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        ctx.registerFilter(new ToJson());
    }

    /** The same template with another time limit per render. */
    public ChatTemplate withTimeLimit(Duration limit) {
        return new ChatTemplate(source, origin, specialTokens, limit);
    }

    public String source() {
        return source;
    }

    public String origin() {
        return origin;
    }

    /** The prompt text of {@code messages}; with {@code addGenerationPrompt}, followed by the assistant turn's opening. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Map<String, Object> vars = new HashMap<>(specialTokens);
        List<Map<String, Object>> ms = new ArrayList<>();
        for (ChatMessage m : messages) ms.add(m.asTemplateValue());
        vars.put("messages", ms);
        vars.put("add_generation_prompt", addGenerationPrompt);
        deadline.get()[0] = System.nanoTime() + timeLimitNanos;
        RenderResult r;
        try {
            r = jinja.renderForResult(jinjavaSource(source), vars);
        } catch (TimeLimit e) {
            throw new ChatTemplateException(origin + ": chat template failed: " + e.getMessage());
        }
        // Jinjava downgrades some errors that stop jinja2 (an unknown filter, a recursive macro) to warnings and
        // renders on; a prompt built past an error is not the prompt the model expects, so every error fails.
        for (TemplateError e : r.getErrors()) throw new ChatTemplateException(origin + ": chat template failed: " + reason(e));
        return r.getOutput();
    }

    /**
     * Jinja's reversed slice {@code xs[::-1]}, which Jinjava cannot parse, as the {@code reverse} filter it equals
     * (Qwen3's template walks the messages backwards this way).
     */
    static String jinjavaSource(String source) {
        return source.replace("[::-1]", "|reverse|list");
    }

    private void checkTime() {
        if (System.nanoTime() - deadline.get()[0] > 0) {
            throw new TimeLimit("still rendering after " + timeLimitNanos / 1_000_000 + " ms; a template loops this long only by design");
        }
    }

    private static final class TimeLimit extends RuntimeException {
        TimeLimit(String message) {
            super(message, null, false, false);
        }
    }

    /** The template's own message where it raised one ({@code raise_exception}), else Jinjava's. */
    private static String reason(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof ChatTemplateException || t instanceof TimeLimit) return t.getMessage();
        }
        return e.getMessage();
    }

    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 ? Integer.parseInt(args[0].trim()) : -1);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return PythonJson.dumps(var, indent == null ? -1 : ((Number) indent).intValue());
        }
    }
}
