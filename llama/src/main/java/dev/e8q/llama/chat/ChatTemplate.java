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
    /** Far more than any real template needs (they render in milliseconds); a hostile one is stopped. */
    public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(5);

    /**
     * Bytes a render may allocate (real templates allocate kilobytes): the bound on memory, since a template can loop
     * over building strings and keep them. Output, strings, lists and maps have their own, smaller caps.
     */
    public static final long DEFAULT_ALLOCATION_LIMIT = 256L << 20;
    static final long MAX_CHARS = 4L << 20;
    static final int MAX_ITEMS = 1 << 20;
    private static final com.sun.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                    && t.isThreadAllocatedMemorySupported() ? t : null;

    /** One engine for every template (it is thread-safe); each render's limits are in {@link #LIMITS}. */
    private static final Jinjava JINJA = engine();
    /**
     * The render running on this thread: its deadline (System.nanoTime), its time limit in ns, the thread's allocation
     * count where the render may stop allocating, and the allocation limit.
     */
    private static final ThreadLocal<long[]> LIMITS = ThreadLocal.withInitial(() -> new long[] {Long.MAX_VALUE, 0, Long.MAX_VALUE, 0});

    private final String source;
    /** {@link #source} as Jinjava reads it ({@link #jinjavaSource}), rewritten once. */
    private final String jinjavaSource;
    private final String origin;
    private final Map<String, String> specialTokens;
    private final long timeLimitNanos;
    private final long allocationLimit;

    /**
     * @param source        the Jinja text
     * @param origin        where it came from, for error messages (a file name)
     * @param specialTokens {@code bos_token}, {@code eos_token} and the like, passed to the template as variables
     */
    public ChatTemplate(String source, String origin, Map<String, String> specialTokens) {
        this(source, origin, specialTokens, DEFAULT_TIME_LIMIT, DEFAULT_ALLOCATION_LIMIT);
    }

    /** As {@link #ChatTemplate(String, String, Map)}, with limits on each render's time and allocated bytes. */
    public ChatTemplate(String source, String origin, Map<String, String> specialTokens, Duration timeLimit, long allocationLimit) {
        this.timeLimitNanos = timeLimit.toNanos();
        this.allocationLimit = allocationLimit;
        this.source = Objects.requireNonNull(source, "source");
        this.jinjavaSource = jinjavaSource(source);
        this.origin = Objects.requireNonNull(origin, "origin");
        this.specialTokens = Map.copyOf(specialTokens);
    }

    private static Jinjava engine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        // Jinja's own semantics where Jinjava's defaults differ: operator precedence, whitespace control on
        // expressions, dict keys evaluated, iteration over a dict's keys. Not Jinjava's "Pyish" printing: it escapes
        // control characters inside the strings it prints, which would change the messages.
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder().withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true).withUseTrimmingForNotesAndExpressions(true)
                .withEvaluateMapKeys(true).withIterateOverMapKeys(true).build();
        // Jinja has no unbounded loop, but nested loops over range(1000) multiply: before every node, the render
        // checks the clock and what it has allocated. It also stops at the first recorded error, as jinja2 does;
        // Jinjava would render on and allocate a stack trace for each further error.
        Jinjava jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(jinja2).withElResolver(resolver)
                // Jinjava would otherwise run "{{ ... }}" found inside a printed value: a message could execute code.
                .withNestedInterpretationEnabled(false)
                .withMaxOutputSize(MAX_CHARS).withMaxStringLength(MAX_CHARS).withMaxListSize(MAX_ITEMS).withMaxMapSize(MAX_ITEMS)
                .withNodePreProcessor((node, interpreter) -> checkBeforeNode(interpreter)).build());
        var ctx = jinja.getGlobalContext();
        ctx.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        ctx.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        ctx.registerFilter(new ToJson());
        return jinja;
    }

    /** The same template with other limits per render. */
    public ChatTemplate withLimits(Duration timeLimit, long allocationLimit) {
        return new ChatTemplate(source, origin, specialTokens, timeLimit, allocationLimit);
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
        long[] limits = LIMITS.get();
        limits[0] = System.nanoTime() + timeLimitNanos;
        limits[1] = timeLimitNanos;
        limits[2] = THREADS == null ? Long.MAX_VALUE : THREADS.getCurrentThreadAllocatedBytes() + allocationLimit;
        limits[3] = allocationLimit;
        RenderResult r;
        try {
            r = JINJA.renderForResult(jinjavaSource, vars);
        } catch (Stopped e) {
            throw new ChatTemplateException(origin + ": chat template failed: " + e.getMessage());
        } finally {
            limits[0] = limits[2] = Long.MAX_VALUE;
        }
        // Jinjava records some errors that stop jinja2 (a recursive macro) as warnings and renders on; a prompt built
        // past an error is not the prompt the model expects, so every error fails.
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

    private static void checkBeforeNode(JinjavaInterpreter interpreter) {
        if (!interpreter.getErrors().isEmpty()) throw new Stopped(reason(interpreter.getErrors().get(0)));
        long[] d = LIMITS.get();
        if (System.nanoTime() - d[0] > 0) {
            throw new Stopped("still rendering after " + d[1] / 1_000_000 + " ms; a template loops this long only by design");
        }
        if (THREADS != null && THREADS.getCurrentThreadAllocatedBytes() > d[2]) {
            throw new Stopped("allocated more than " + (d[3] >> 20) + " MiB; a template builds this much only by design");
        }
    }

    /** Ends a render early; its message is the reason. */
    private static final class Stopped extends RuntimeException {
        Stopped(String message) {
            super(message, null, false, false);
        }
    }

    /** The template's own message where it raised one ({@code raise_exception}), else Jinjava's. */
    private static String reason(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof ChatTemplateException || t instanceof Stopped) return t.getMessage();
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
