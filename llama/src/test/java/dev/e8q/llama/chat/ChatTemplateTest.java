package dev.e8q.llama.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * e8q renders chat templates exactly as transformers does: the expected texts were rendered by Python's jinja2 set up
 * as apply_chat_template sets it up ({@code llama/src/test/python/render_chat_templates.py}).
 */
class ChatTemplateTest {
    private static final JsonNode EXPECTED = readExpected();

    private static JsonNode readExpected() {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/expected.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        EXPECTED.get("expected").fields().forEachRemaining(t -> t.getValue().fields().forEachRemaining(c ->
                out.add(Arguments.of(t.getKey(), c.getKey(), c.getValue()))));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} / {1}")
    @MethodSource("cases")
    void rendersAsJinja2(String template, String key, JsonNode expected) {
        String conversation = key.replace(" +generation", "");
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : EXPECTED.get("conversations").get(conversation)) {
            messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        Map<String, String> special = Map.of("bos_token", "<s>", "eos_token", "</s>");
        ChatTemplate t = new ChatTemplate(resource(template), template, special);
        boolean gen = key.endsWith("+generation");
        if (expected.isObject()) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(messages, gen));
            assertEquals(template + ": chat template failed: " + expected.get("error").asText(), e.getMessage());
        } else {
            assertEquals(expected.asText(), t.render(messages, gen));
        }
    }

    @Test
    void everyTemplateIsChecked() {
        assertEquals(6, EXPECTED.get("expected").size(), "a template was added without rerunning render_chat_templates.py");
    }

    @Test
    void aSyntaxErrorNamesTheTemplate() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m.content }", "tokenizer_config.json", Map.of());
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(List.of(ChatMessage.user("hi")), true));
        assertTrue(e.getMessage().startsWith("tokenizer_config.json: chat template failed: "), e.getMessage());
    }

    @Test
    void hostileTemplatesEndWithAnError() {
        String[] hostile = {
            "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% if k < 0 %}x{% endif %}{% endfor %}{% endfor %}{% endfor %}",
            "{% set s = 'xxxxxxxx' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s|length }}",
            "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(100) %}xxxxxxxxxx{% endfor %}{% endfor %}{% endfor %}",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            // Keeps distinct strings of a million characters: stopped by the allocation limit, not the clock.
            "{% set s = 'x' * 1000000 %}{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = ns.l + [s ~ i] %}{% endfor %}{{ ns.l|length }}",
        };
        for (String h : hostile) {
            long t0 = System.nanoTime();
            ChatTemplate t = new ChatTemplate(h, "hostile.jinja", Map.of(), java.time.Duration.ofMillis(300), 64L << 20);
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(List.of(ChatMessage.user("hi")), true), h);
            assertTrue(e.getMessage().startsWith("hostile.jinja: chat template failed: "), e.getMessage());
            assertTrue(System.nanoTime() - t0 < 20_000_000_000L, h);
        }
    }

    @Test
    void pythonSplitAndJoinAreInverses() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 12), strings().basicLatinAlphabet().ofLengthBetween(1, 2))
                .checkAssert((s, sep) -> {
                    var tt = new ChatTemplate("{% set sep = '" + sep.replace("\\", "\\\\").replace("'", "\\'") + "' %}"
                            + "{{ sep.join(messages[0].content.split(sep)) }}", "t", Map.of());
                    assertEquals(s, tt.render(List.of(ChatMessage.user(s)), false));
                });
    }

    @Test
    void everyMessageReachesThePromptVerbatim() {
        ChatTemplate chatml = new ChatTemplate(resource("chatml.jinja"), "chatml.jinja", Map.of());
        qt().forAll(strings().allPossible().ofLengthBetween(0, 20), strings().allPossible().ofLengthBetween(0, 20))
                .checkAssert((a, b) -> assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\n" + a + "<|im_end|>\n<|im_start|>assistant\n" + b + "<|im_end|>\n",
                        chatml.render(List.of(ChatMessage.user(a), ChatMessage.assistant(b)), false)));
    }

    @Test
    void templateSyntaxInAMessageIsText() {
        ChatTemplate chatml = new ChatTemplate(resource("chatml.jinja"), "chatml.jinja", Map.of());
        String sneaky = "{{ raise_exception('x') }}{% for m in messages %}{{ m }}{% endfor %}{#";
        assertTrue(chatml.render(List.of(ChatMessage.user(sneaky)), false).contains("user\n" + sneaky + "<|im_end|>"));
    }

    @Test
    void pythonStripRemovesExactlyTheGivenCharacters() {
        qt().forAll(strings().ascii().ofLengthBetween(0, 12)).checkAssert(s -> {
            String out = new ChatTemplate("{{ messages[0].content.strip('ab ') }}", "t", Map.of())
                    .render(List.of(ChatMessage.user(s)), false);
            assertTrue(s.contains(out));
            assertTrue(out.isEmpty() || "ab ".indexOf(out.charAt(0)) < 0 && "ab ".indexOf(out.charAt(out.length() - 1)) < 0, out);
            int at = s.indexOf(out);
            for (int i = 0; i < at; i++) assertTrue("ab ".indexOf(s.charAt(i)) >= 0, s);
        });
    }

    @Test
    void strftimeFormatsAsPython() {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 26, 9, 5, 3, 0, ZoneOffset.UTC);
        assertEquals("26 Jul 2024", TemplateFunctions.strftime(t, "%d %b %Y"));
        assertEquals("Friday, July 26 2024 09:05:03 %", TemplateFunctions.strftime(t, "%A, %B %d %Y %H:%M:%S %%"));
        assertThrows(ChatTemplateException.class, () -> TemplateFunctions.strftime(t, "%Q"));
    }
}
