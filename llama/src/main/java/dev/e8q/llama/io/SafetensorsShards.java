package dev.e8q.llama.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors files of one Hugging Face directory seen as one tensor namespace: either
 * {@code model.safetensors} or the shards listed by {@code model.safetensors.index.json}
 * ({@code weight_map}: tensor name → shard file). Dense and quantized checkpoint readers both use it.
 */
public final class SafetensorsShards implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final List<SafetensorsReader> readers;
    private final Map<String, SafetensorsReader> byName;
    private final Map<String, String> metadata;

    private SafetensorsShards(Path dir, List<SafetensorsReader> readers, Map<String, SafetensorsReader> byName,
            Map<String, String> metadata) {
        this.dir = dir;
        this.readers = readers;
        this.byName = byName;
        this.metadata = metadata;
    }

    public static SafetensorsShards open(Path dir) throws IOException {
        List<SafetensorsReader> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsReader> byName = new LinkedHashMap<>();
            if (Files.exists(dir.resolve(SINGLE))) {
                SafetensorsReader r = SafetensorsReader.open(dir.resolve(SINGLE));
                opened.add(r);
                for (String n : r.names()) byName.put(n, r);
            } else if (Files.exists(dir.resolve(INDEX))) {
                openSharded(dir, dir.resolve(INDEX), opened, byName);
            } else {
                throw new CheckpointFormatException(dir, "neither " + SINGLE + " nor " + INDEX + " found");
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            for (SafetensorsReader r : opened) metadata.putAll(r.metadata());
            return new SafetensorsShards(dir, List.copyOf(opened), Collections.unmodifiableMap(byName),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            opened.forEach(SafetensorsReader::close);
            throw e;
        }
    }

    private static void openSharded(Path dir, Path index, List<SafetensorsReader> opened,
            Map<String, SafetensorsReader> byName) throws IOException {
        JsonNode root;
        byte[] bytes = Files.readAllBytes(index);
        try {
            root = new ObjectMapper().readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CheckpointFormatException(index, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            // e.g. CharConversionException: bytes Jackson took for UTF-32 that are not
            throw new CheckpointFormatException(index, "unreadable JSON: " + e.getMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new CheckpointFormatException(index, "no 'weight_map' object");
        Map<String, SafetensorsReader> shards = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            // Shards must be plain file names in this directory; anything else is corrupt or hostile.
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..") || shard.equals(".")) {
                throw new CheckpointFormatException(index, "tensor '" + e.getKey() + "' maps to invalid shard name '" + shard + "'");
            }
            SafetensorsReader r = shards.get(shard);
            if (r == null) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) {
                    throw new CheckpointFormatException(index, "shard '" + shard + "' (for tensor '" + e.getKey() + "') "
                            + (Files.exists(p) ? "is not a regular file" : "does not exist"));
                }
                r = SafetensorsReader.open(p);
                opened.add(r);
                shards.put(shard, r);
            }
            if (!r.has(e.getKey())) {
                throw new CheckpointFormatException(r.path(), "tensor '" + e.getKey() + "' listed in " + INDEX + " is not in this shard");
            }
            byName.put(e.getKey(), r);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Union of the shards' {@code __metadata__}. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The shard holding {@code name}. */
    public SafetensorsReader reader(String name) {
        SafetensorsReader r = byName.get(name);
        if (r == null) throw new IllegalArgumentException(dir + ": no tensor named '" + name + "'");
        return r;
    }

    public TensorInfo info(String name) {
        return reader(name).info(name);
    }

    @Override
    public void close() {
        readers.forEach(SafetensorsReader::close);
    }
}
