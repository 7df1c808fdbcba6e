package dev.e8q.cli;

import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.llama.generate.StopTokens;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.tokenizer.StreamingDecoder;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code e8q generate}: streams a continuation of a prompt to stdout, speed to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt (streams to stdout; tokens/s on stderr).")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions run = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    ChatOptions chat = new ChatOptions();

    @Option(names = "--prompt", defaultValue = "", description = "prompt text (default: empty, start from BOS)")
    String prompt;

    @Option(names = "--chat", description = "send the prompt as a user message through the model's chat template and print "
            + "the assistant's reply (instruct models; see also e8q chat)")
    boolean asChat;

    @Option(names = "--steps", defaultValue = "256", description = "maximum new tokens (default: ${DEFAULT-VALUE})")
    int steps;




    @Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @Override
    public Integer call() throws Exception {
        SamplingOptions.Resolved sampler = sampling.resolve(GenerationDefaults.read(run.configDir()), 1.0f);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        KvCache.Precision kv = kvCache.precision();
        LlamaModel m = run.load();
        Tokenizer tok = run.tokenizer(null);
        int[] ids;
        if (asChat) {
            List<ChatMessage> messages = new ArrayList<>(chat.preamble());
            messages.add(ChatMessage.user(prompt));
            ids = tok.encode(chat.template(run).render(messages, true), false, false); // the template places BOS
        } else {
            if (chat.system != null || chat.chatTemplate != null) throw new IllegalArgumentException("--system and --chat-template need --chat");
            ids = tok.encode(prompt, true, false);
            out.print(prompt);
        }
        StreamingDecoder dec = new StreamingDecoder(tok, ids[ids.length - 1]);
        Generator g = new Generator(m, kv, StopTokens.of(m.config(), run.configDir()));
        Generator.Result r = g.generate(ids, steps, sampler.forReply(), (prev, id) -> out.print(dec.next(id)));
        out.println(dec.flush());
        System.err.printf(Locale.ROOT, "prompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens at %.2f tok/s%s%n",
                r.prompt().length, r.promptSeconds(), r.promptTokensPerSecond(), r.generated().length, r.tokensPerSecond(),
                r.stoppedAt() >= 0 ? " (stopped at " + (asChat ? "end of turn)" : "end of text)") : "");
        return 0;
    }
}
