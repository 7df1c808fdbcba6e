package dev.e8q.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs launches on {@code cuda/src/test/cpp/e8q_emulate.cpp}: the real {@code e8q_kernels.cu} compiled as C++
 * with one std::thread per CUDA thread. Buffers are Java arrays (float[], long[], int[], byte[]); the same array
 * passed twice is the same device buffer (in-place kernels), and results are copied back into the arrays.
 */
final class EmulatedLauncher implements KernelLauncher {
    private static Path binary;
    private static String unavailable;

    private final Path exe;

    private EmulatedLauncher(Path exe) {
        this.exe = exe;
    }

    /** Compiles the emulator once per JVM; skips the calling test when no C++20 compiler is available. */
    static synchronized EmulatedLauncher get() {
        if (binary == null && unavailable == null) {
            try {
                Path src = Path.of("src/test/cpp/e8q_emulate.cpp");
                if (!Files.exists(src)) src = Path.of("cuda/src/test/cpp/e8q_emulate.cpp");
                Path dir = Files.createTempDirectory("e8q-emulate");
                Path exe = dir.resolve("e8q_emulate");
                dir.toFile().deleteOnExit(); // registered first, so deleted after the binary
                exe.toFile().deleteOnExit();
                Process p = new ProcessBuilder("g++", "-std=c++20", "-O2", "-Wno-unknown-pragmas", "-o",
                        exe.toString(), src.toString()).redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0)
                    throw new IllegalStateException("g++ failed on " + src + ":\n" + log); // a real failure, not a skip
                binary = exe;
            } catch (IOException e) {
                unavailable = "no C++20 compiler (g++) to build the CUDA-source emulator: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unavailable = "interrupted";
            }
        }
        assumeTrue(binary != null, "SKIPPED: " + unavailable);
        return new EmulatedLauncher(binary);
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int blockX, Object... args) {
        Map<Object, Integer> ids = new IdentityHashMap<>();
        List<Object> bufs = new ArrayList<>();
        for (Object a : args)
            if (a != null && a.getClass().isArray() && !ids.containsKey(a)) {
                ids.put(a, bufs.size());
                bufs.add(a);
            }
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        byte[] name = kernel.getBytes(StandardCharsets.US_ASCII);
        putInt(req, name.length);
        req.writeBytes(name);
        putInt(req, gridX);
        putInt(req, gridY);
        putInt(req, blockX);
        putInt(req, bufs.size());
        for (Object b : bufs) {
            byte[] bytes = toBytes(b);
            req.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bytes.length).array());
            req.writeBytes(bytes);
        }
        putInt(req, args.length);
        for (Object a : args) {
            switch (a) {
                case null -> req.write('n');
                case Integer i -> { req.write('i'); putInt(req, i); }
                case Float f -> { req.write('f'); putInt(req, Float.floatToRawIntBits(f)); }
                default -> {
                    if (!a.getClass().isArray()) throw new IllegalArgumentException("bad kernel argument " + a);
                    req.write('b');
                    putInt(req, ids.get(a));
                }
            }
        }
        try {
            Process p = new ProcessBuilder(exe.toString()).start();
            try (OutputStream os = p.getOutputStream()) {
                os.write(req.toByteArray());
            }
            byte[] out;
            try (InputStream is = p.getInputStream()) {
                out = is.readAllBytes();
            }
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0)
                throw new IllegalStateException("emulated " + kernel + " failed: " + err);
            ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            for (Object b : bufs) fromBytes(bb, b);
            if (bb.hasRemaining()) throw new IllegalStateException("emulator returned " + bb.remaining() + " extra bytes");
        } catch (IOException e) {
            throw new IllegalStateException("running the emulator failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void putInt(ByteArrayOutputStream o, int v) {
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private static byte[] toBytes(Object a) {
        ByteBuffer bb;
        switch (a) {
            case float[] f -> { bb = le(4L * f.length); bb.asFloatBuffer().put(f); }
            case long[] l -> { bb = le(8L * l.length); bb.asLongBuffer().put(l); }
            case int[] i -> { bb = le(4L * i.length); bb.asIntBuffer().put(i); }
            case short[] s -> { bb = le(2L * s.length); bb.asShortBuffer().put(s); }
            case byte[] b -> { return b.clone(); }
            default -> throw new IllegalArgumentException("unsupported buffer " + a.getClass());
        }
        return bb.array();
    }

    private static void fromBytes(ByteBuffer src, Object a) {
        switch (a) {
            case float[] f -> { src.asFloatBuffer().get(f); src.position(src.position() + 4 * f.length); }
            case long[] l -> { src.asLongBuffer().get(l); src.position(src.position() + 8 * l.length); }
            case int[] i -> { src.asIntBuffer().get(i); src.position(src.position() + 4 * i.length); }
            case short[] s -> { src.asShortBuffer().get(s); src.position(src.position() + 2 * s.length); }
            case byte[] b -> src.get(b);
            default -> throw new IllegalArgumentException("unsupported buffer " + a.getClass());
        }
    }

    private static ByteBuffer le(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
