package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.testdata.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input ends every command with one line naming the command and the problem, exit code 2, no stack trace. */
class CliErrorsTest {
    @TempDir
    Path tmp;

    private static void assertOneLineError(String command, String mentions, String... args) {
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        String text = err.toString().strip();
        assertEquals(2, code, text);
        assertTrue(text.startsWith("e8q " + command + ": "), text);
        assertTrue(text.contains(mentions), text);
        assertFalse(text.contains("\tat ") || text.contains("\n"), "one line, no stack trace: " + text);
    }

    @Test
    void missingFilesOptionsOutOfRangeAndCorruptCheckpoints() throws Exception {
        String bin = TestData.stories260K().toString(), tok = TestData.tok512().toString();
        assertOneLineError("eval", "checkpoint not found", "eval", "--model", tmp.resolve("nope.bin").toString(), "--text", bin);
        assertOneLineError("eval", "nope.txt: no such file", "eval", "--model", bin, "--tokenizer", tok, "--text", tmp.resolve("nope.txt").toString());
        assertOneLineError("eval", "exceeds the model's 512", "eval", "--model", bin, "--tokenizer", tok, "--text", TestData.valid().toString(), "--context", "99999");
        Path truncated = tmp.resolve("truncated.bin");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(TestData.stories260K()), 5000));
        assertOneLineError("generate", "truncated", "generate", "--model", truncated.toString(), "--tokenizer", tok, "--prompt", "hi");
        assertOneLineError("export-hf", "truncated", "export-hf", "--model", truncated.toString(), "--out", tmp.resolve("hf").toString());
        assertOneLineError("convert", "--bits must be 2, 3 or 4", "convert", "--model", bin, "--bits", "5", "--calibration",
                TestData.train().toString(), "--out", tmp.resolve("q").toString());
        assertOneLineError("demo", "--bits must be 2, 3 or 4", "demo", "--bits", "7");
        String[] compare = {"compare", "--model", bin, "--calibration", TestData.train().toString(), "--eval", TestData.valid().toString()};
        assertOneLineError("compare", "--plain-quip-bits must be 'none' or bit widths 2, 3, 4, got 'x'", cat(compare, "--plain-quip-bits", "x"));
        assertOneLineError("compare", "--plain-quip-bits must be 2, 3 or 4, got 5", cat(compare, "--plain-quip-bits", "4,5"));
        assertOneLineError("generate", "--int8-activations applies to the CPU kernel; it cannot be combined with --device cuda",
                "generate", "--model", bin, "--tokenizer", tok, "--prompt", "hi", "--device", "cuda", "--int8-activations");
        assertOneLineError("generate", "--kv-cache must be f32 or f16, got bf16", "generate", "--model", bin, "--tokenizer", tok,
                "--prompt", "hi", "--kv-cache", "bf16");
        assertOneLineError("eval", "--kv-cache must be f32 or f16, got q8", "eval", "--model", bin, "--tokenizer", tok,
                "--text", TestData.train().toString(), "--kv-cache", "q8");
        assertOneLineError("convert", "--row-scale must be in [0, 1], got 2.0", "convert", "--model", bin, "--bits", "2", "--calibration",
                TestData.train().toString(), "--out", tmp.resolve("q").toString(), "--row-scale", "2");
    }

    private static String[] cat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void chatWithoutATemplateAndMisusedChatOptions() throws Exception {
        Path model = TestData.chatModel(Files.createDirectory(tmp.resolve("chat")),
                TestData.STORY_CHAT_TEMPLATE);
        assertOneLineError("chat", "has no chat template", "chat", "--model", TestData.stories260K().toString(), "--message", "hi");
        assertOneLineError("chat", "--chat-template", "chat", "--model", TestData.stories260K().toString(), "--message", "hi");
        assertOneLineError("generate", "need --chat", "generate", "--model", model.toString(), "--system", "be brief", "--prompt", "x");
        assertOneLineError("chat", "chat template failed: no system role", "chat", "--model", model.toString(), "--system",
                "be brief", "--message", "x");
    }

    @Test
    void serveWithABadPortOrATakenOne() throws Exception {
        String bin = TestData.stories260K().toString(), tok = TestData.tok512().toString();
        assertOneLineError("serve", "--port must be 0..65535, got 70000", "serve", "--model", bin, "--tokenizer", tok, "--port", "70000");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertOneLineError("serve", "ddress already in use", "serve", "--model", bin, "--tokenizer", tok, "--port",
                    String.valueOf(taken.getLocalPort()));
        }
        Path broken = Files.writeString(tmp.resolve("broken.jinja"), "{% for m in messages %}");
        assertOneLineError("serve", "broken.jinja", "serve", "--model", bin, "--tokenizer", tok, "--chat-template", broken.toString(),
                "--port", "0");
    }

    @Test
    void benchLengthsBeyondTheContextOrOutOfRange() {
        String bin = TestData.stories260K().toString(), tok = TestData.tok512().toString();
        assertOneLineError("bench", "1024 tokens exceed the model's context of 512", "bench", "--model", bin, "--tokenizer", tok, "-p", "1024");
        assertOneLineError("bench", "--repetitions must be at least 1, got 0", "bench", "--model", bin, "--tokenizer", tok, "-r", "0");
        assertOneLineError("bench", "--gen-tokens must be 0 or more, got -5", "bench", "--model", bin, "--tokenizer", tok, "-n", "-5");
    }
}
