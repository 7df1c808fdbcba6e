package dev.e8q.cuda;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.Linear;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The hook for the command line ({@code --device cuda}): moves a loaded model's linears to the GPU without the
 * CLI knowing any CUDA class. Quantized linears become {@link CudaE8Linear}; optionally, dense ones (without
 * bias) become {@link CudaFp16Linear}. Embedding, norms, attention and sampling stay on the CPU.
 *
 * <pre>{@code
 * try (CudaLinears.Placement p = CudaLinears.moveToGpu(model, true)) {
 *     System.err.println(p);          // "30 quantized and 1 dense linears on CUDA device 0 (...)"
 *     ... generate / evaluate with model ...
 * }
 * }</pre>
 *
 * A quantized linear is recognized by a public no-argument method returning {@link E8Matrix} (whatever its name,
 * so this module needs no compile-time knowledge of the quantized-model loader) whose shape equals the linear's;
 * a slice of a fused matrix (whose E8Matrix is larger than the linear) stays on the CPU, and so does a matrix the
 * kernels cannot take (65536 or more padded rows or columns).
 */
public final class CudaLinears {
    private CudaLinears() {}

    /** Null when a CUDA GPU can be used, else a one-line reason (for "--device cuda" error messages). */
    public static String unavailableReason() {
        return CudaContext.unavailableReason();
    }

    /** What {@link #moveToGpu} did; closing it frees the device memory and the context. */
    public static final class Placement implements AutoCloseable {
        private final CudaContext ctx;
        private final List<AutoCloseable> layers = new ArrayList<>();
        private int quantized, dense;

        Placement(CudaContext ctx) {
            this.ctx = ctx;
        }

        public CudaContext context() {
            return ctx;
        }

        /** Linears now running the E8P kernels. */
        public int quantized() {
            return quantized;
        }

        /** Dense linears now running FP16 cuBLAS. */
        public int dense() {
            return dense;
        }

        @Override
        public String toString() {
            return quantized + " quantized and " + dense + " dense linears on " + ctx;
        }

        @Override
        public void close() {
            for (AutoCloseable l : layers) {
                try {
                    l.close();
                } catch (Exception ignored) {
                    // freeing device memory of a layer failed; the context release below frees the rest
                }
            }
            layers.clear();
            ctx.close();
        }
    }

    /**
     * Replaces, in every decoder block (and lm_head when {@code denseToo}), each linear for which
     * {@code quantized} returns an {@link E8Matrix} with a {@link CudaE8Linear}, and each bias-free
     * {@link DenseLinear} with a {@link CudaFp16Linear} when {@code denseToo}. Opens the default device
     * ({@link CudaContext#open()}).
     *
     * @param quantized returns the codec matrix behind a quantized {@link Linear}, or null for any other linear
     * @throws CudaUnavailableException no usable GPU, or too little device memory (the model is left unchanged
     *                                  only if the failure happens before the first layer moved)
     */
    public static Placement moveToGpu(LlamaModel model, Function<Linear, E8Matrix> quantized, boolean denseToo) {
        CudaContext ctx = CudaContext.open();
        Placement p = new Placement(ctx);
        try {
            for (DecoderBlock b : model.blocks()) {
                for (LinearKind k : LinearKind.values()) {
                    Linear g = toGpu(p, b.linear(k), quantized, denseToo);
                    if (g != null) b.setLinear(k, g);
                }
            }
            if (denseToo) {
                Linear head = toGpu(p, model.lmHead(), quantized, true);
                if (head != null) model.setLmHead(head);
            }
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** {@link #moveToGpu(LlamaModel, Function, boolean)} with {@link #e8MatrixOf} as the recognizer. */
    public static Placement moveToGpu(LlamaModel model, boolean denseToo) {
        return moveToGpu(model, CudaLinears::e8MatrixOf, denseToo);
    }

    private static final ClassValue<Method> ACCESSOR = new ClassValue<>() {
        @Override
        protected Method computeValue(Class<?> type) {
            for (Method m : type.getMethods())
                if (m.getParameterCount() == 0 && m.getReturnType() == E8Matrix.class && !Modifier.isStatic(m.getModifiers()))
                    return m;
            return null;
        }
    };

    /**
     * The {@link E8Matrix} behind a quantized linear, found through its public no-argument accessor, or null when
     * the linear has none or the matrix's logical shape differs from the linear's.
     */
    public static E8Matrix e8MatrixOf(Linear l) {
        Method m = ACCESSOR.get(l.getClass());
        if (m == null) return null;
        try {
            m.trySetAccessible(); // the accessor may live in a non-public class
            E8Matrix e = (E8Matrix) m.invoke(l);
            return e != null && e.rows() == l.outFeatures() && e.cols() == l.inFeatures() ? e : null;
        } catch (ReflectiveOperationException e) {
            return null; // e.g. a public method of a non-public class: treat as not quantized
        }
    }

    private static Linear toGpu(Placement p, Linear l, Function<Linear, E8Matrix> quantized, boolean denseToo) {
        E8Matrix m = quantized.apply(l);
        if (m != null && m.isE8() && m.rows() == l.outFeatures() && m.cols() == l.inFeatures()
                && QidxsLayout.supports(m.paddedRows(), m.paddedCols())) {
            CudaE8Linear g = CudaE8Linear.of(p.ctx, m);
            p.layers.add(g);
            p.quantized++;
            return g;
        }
        if (denseToo && l instanceof DenseLinear d && d.bias() == null) {
            CudaFp16Linear g = CudaFp16Linear.of(p.ctx, d.weights(), d.outFeatures(), d.inFeatures());
            p.layers.add(g);
            p.dense++;
            return g;
        }
        return null;
    }
}
