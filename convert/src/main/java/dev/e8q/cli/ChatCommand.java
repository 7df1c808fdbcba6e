package dev.e8q.cli;

import dev.e8q.llama.generate.ChatSession;
import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.llama.generate.StopTokens;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.tokenizer.StreamingDecoder;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code e8q chat}: a conversation with an instruct model through its chat template. Replies stream to stdout,
 * prompts and speed go to stderr, so {@code --message} runs can be piped.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk to an instruct model through its chat template. Reads one user message per line from stdin "
                + "(a line ending in \\ continues on the next; /reset starts over, /exit ends), or takes the turns from "
                + "--message. Earlier turns stay in the KV cache and are not computed again."})
public final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions run = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    ChatOptions chat = new ChatOptions();

    @Option(names = "--message", description = "a user turn; repeat for several. Without it, turns are read from stdin")
    List<String> messages = new ArrayList<>();

    @Option(names = "--max-tokens", defaultValue = "512", description = "longest reply in tokens (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--context", defaultValue = "4096",
            description = "most tokens the conversation may hold, at most the model's context; when it fills, the oldest "
                    + "exchanges are dropped (default: ${DEFAULT-VALUE})")
    int context;




    @Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        if (context < 2) throw new IllegalArgumentException("--context must be at least 2, got " + context);
        SamplingOptions.Resolved sampler = sampling.resolve(GenerationDefaults.read(run.configDir()), 0.7f);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        KvCache.Precision kv = kvCache.precision();
        LlamaModel m = run.load();
        Tokenizer tok = run.tokenizer(null);
        var template = chat.template(run);
        ChatSession session = new ChatSession(m, tok, template, StopTokens.of(m.config(), run.configDir()), context, kv,
                chat.preamble());
        if (!messages.isEmpty()) {
            for (String msg : messages) turn(session, msg, sampler, tok, out);
            return 0;
        }
        boolean console = System.console() != null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder pending = new StringBuilder();
        while (true) {
            if (console) System.err.print(pending.isEmpty() ? "> " : ". ");
            String line = in.readLine();
            if (line == null) break;
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append('\n');
                continue;
            }
            String msg = pending.append(line).toString();
            pending.setLength(0);
            if (msg.isBlank()) continue;
            if (msg.strip().equals("/exit") || msg.strip().equals("/quit")) break;
            if (msg.strip().equals("/reset")) {
                session.reset();
                System.err.println("(new conversation)");
                continue;
            }
            try {
                turn(session, msg, sampler, tok, out);
            } catch (IllegalArgumentException e) { // the conversation is unchanged; the user can go on or /reset
                System.err.println("e8q chat: " + e.getMessage());
            }
        }
        return 0;
    }

    private void turn(ChatSession session, String msg, SamplingOptions.Resolved sampler, Tokenizer tok, PrintStream out) {
        StreamingDecoder[] dec = {null};
        ChatSession.Reply r = session.send(msg, sampler.forReply(), maxTokens, (prev, id) -> {
            if (dec[0] == null) dec[0] = new StreamingDecoder(tok, prev);
            out.print(dec[0].next(id));
        });
        out.println(dec[0] == null ? "" : dec[0].flush());
        if (r.droppedMessages() > 0) {
            System.err.printf(Locale.ROOT, "(dropped the %d oldest message%s to fit the %d-token context)%n", r.droppedMessages(),
                    r.droppedMessages() == 1 ? "" : "s", session.context());
        }
        System.err.printf(Locale.ROOT, "(%d prompt tokens, %d from cache, %.2f s; %d reply tokens at %.2f tok/s%s)%n",
                r.promptTokens(), r.reusedTokens(), r.promptSeconds(), r.tokens().length, r.tokensPerSecond(),
                r.stoppedAt() >= 0 ? "" : r.tokens().length >= maxTokens ? "; cut at --max-tokens" : "; context full");
    }
}
