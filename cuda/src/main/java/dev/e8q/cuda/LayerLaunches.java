package dev.e8q.cuda;

/**
 * The launch sequence of one quantized linear (SPEC §4.1), shared by the GPU ({@link CudaE8Linear}) and the
 * tests' CPU emulation of the CUDA source, so that both exercise the same argument lists:
 * input passes u = M_nᵀ(SU ⊙ x), the decode-multiply z = Ŵr u (tensor-core or fp32 kernel), output passes
 * SV ⊙ (M_m z).
 *
 * @param q          the Qidxs words; packedAbs, grid2: {@link GpuTables} on the device; su, sv: sign-scale
 *                   vectors; hkIn, hkOut: base matrices for K_n, K_m (null when K = 1) — all launcher buffers
 */
record LayerLaunches(QidxsLayout layout, HadamardPlan in, HadamardPlan out, float residScale, Object q,
                     Object packedAbs, Object grid2, Object su, Object sv, Object hkIn, Object hkOut) {
    static final String FWHT_KERNEL = "e8q_fwht_pass", HADK_KERNEL = "e8q_hadk";
    /** Threads per block of the base-factor kernel. */
    static final int THREADS = 256;

    /** The fp32 decode-multiply entry point: one vector, or 8 vectors per decode. */
    static String matvecKernel(int bits, boolean batched) {
        return batched ? "e8q_matmul" + bits + "_b8" : "e8q_matvec" + bits;
    }

    /** The tensor-core entry point (fp16 activations, mma.sync; up to 8 vectors per block). */
    static String tensorCoreKernel(int bits) {
        return "e8q_mma" + bits;
    }

    /**
     * Input in {@code bufA} (batch × paddedCols, zero-padded); returns the buffer ({@code bufA} or {@code bufB})
     * that holds the output (batch × paddedRows). Both buffers hold batch·max(paddedRows, paddedCols) floats.
     */
    Object run(KernelLauncher l, Object bufA, Object bufB, int batch, boolean tensorCores) {
        Object u = runPlan(l, in, batch, hkIn, su, bufA, bufB);
        Object z = u == bufA ? bufB : bufA;
        matvec(l, u, z, batch, tensorCores);
        return runPlan(l, out, batch, hkOut, sv, z, u);
    }

    /** z = Ŵr u for {@code batch} vectors, on the tensor-core kernel or the fp32 one. */
    void matvec(KernelLauncher l, Object u, Object z, int batch, boolean tensorCores) {
        boolean single = batch == 1;
        String kernel = tensorCores ? tensorCoreKernel(layout.bits()) : matvecKernel(layout.bits(), !single);
        l.launch(kernel, layout.rows() / QidxsLayout.GROUP_ROWS, single ? 1 : (batch + 7) / 8, 32 * KernelSim.WARPS,
                q, packedAbs, grid2, residScale, u, z, layout.rows(), layout.cols(), batch);
    }

    static Object runPlan(KernelLauncher l, HadamardPlan plan, int batch, Object hk, Object scale, Object buf,
                          Object spare) {
        Object cur = buf, other = spare;
        int n = plan.n();
        for (HadamardPlan.Op op : plan.ops()) {
            Object pre = op.pre() ? scale : null, post = op.post() ? scale : null;
            switch (op) {
                case HadamardPlan.Fwht f -> l.launch(FWHT_KERNEL, f.blocks(batch), 1, f.threads(),
                        cur, cur, pre, post, f.alpha(), n, f.len(), f.b(), f.tb(), f.ta(), f.groups() * batch);
                case HadamardPlan.BaseFactor b -> {
                    int total = batch * n;
                    l.launch(HADK_KERNEL, (total + THREADS - 1) / THREADS, 1, THREADS, cur, other, hk, b.k(), b.l(),
                            b.transposed() ? 1 : 0, pre, post, b.alpha(), n, total);
                    Object t = cur;
                    cur = other;
                    other = t;
                }
            }
        }
        return cur;
    }
}
