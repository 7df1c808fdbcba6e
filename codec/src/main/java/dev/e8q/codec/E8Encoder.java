package dev.e8q.codec;

import dev.e8q.hadamard.Hadamard;
import dev.e8q.lattice.Rvq;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;

/**
 * Options for encoding one matrix, and the encode pipeline: RMS-normalize → optional per-row and per-column scales
 * (folded into SV and SU; off by default here, on by default in {@code e8q convert}) → RHT (random signs from the seed)
 * → scale to RMS ρ → BlockLDLQ with greedy refinement (with a Hessian) or nearest rounding (without) → codes.
 * Each option method returns a new encoder, so an encoder can be shared between threads.
 *
 * <p><b>Shapes the Hadamard transform cannot take</b> (rows not a multiple of 16, cols not a multiple of 64,
 * or no Hadamard matrix of that size, e.g. 10920) are zero-padded to {@code Hadamard.paddedSize(rows, 16)} ×
 * {@code Hadamard.paddedSize(cols, 64)}. The Hessian is padded with zeros; the damping σ on its diagonal
 * keeps it positive definite. Padded rows are cropped on decode and padded input columns always see x = 0,
 * so padding costs only storage.
 */
public final class E8Encoder {
    /** Damping σ of SPEC §5. */
    public static final double DEFAULT_DAMPING = 0.01;
    /** σ is multiplied by 10 until Cholesky succeeds, at most this many times. */
    public static final int MAX_DAMPING_RETRIES = 4;

    private int bits = 2;
    private long seed = 0;
    private double rho = Double.NaN, residScale = Double.NaN, damping = DEFAULT_DAMPING;
    private DMatrixRMaj hessian;
    private int refinePasses = 10;
    private boolean monotone = true;
    private ProgressListener progress = ProgressListener.NONE;
    private boolean noE8;
    private double[] rhoSearch;
    private double rowExponent, colExponent;
    private boolean jointResidual;

    E8Encoder() {}

    private E8Encoder copy() {
        E8Encoder e = new E8Encoder();
        e.bits = bits;
        e.seed = seed;
        e.rho = rho;
        e.residScale = residScale;
        e.damping = damping;
        e.hessian = hessian;
        e.refinePasses = refinePasses;
        e.monotone = monotone;
        e.progress = progress;
        e.noE8 = noE8;
        e.rhoSearch = rhoSearch;
        e.rowExponent = rowExponent;
        e.colExponent = colExponent;
        e.jointResidual = jointResidual;
        return e;
    }

    public E8Encoder bits(int b) {
        if (b < 2 || b > 4) throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + b);
        E8Encoder e = copy();
        e.bits = b;
        return e;
    }

    public E8Encoder seed(long s) {
        E8Encoder e = copy();
        e.seed = s;
        return e;
    }

    /** Overrides ρ, the RMS the codebook sees (default: SPEC §2's opt_scale for the bit width). */
    public E8Encoder rho(double r) {
        if (!(r > 0) || Double.isInfinite(r)) throw new IllegalArgumentException("rho must be finite and > 0, got " + r);
        E8Encoder e = copy();
        e.rho = r;
        return e;
    }

    /** Overrides the residual scale of 3/4 bits (default 2.04 / 3.45). */
    public E8Encoder residualScale(double s) {
        if (!(s > 0) || Double.isInfinite(s)) throw new IllegalArgumentException("residual scale must be finite and > 0, got " + s);
        E8Encoder e = copy();
        e.residScale = s;
        return e;
    }

    /** Initial damping σ added to the normalized Hessian's diagonal (default 0.01). */
    public E8Encoder damping(double sigma) {
        if (!(sigma >= 0) || Double.isInfinite(sigma)) throw new IllegalArgumentException("damping must be finite and >= 0, got " + sigma);
        E8Encoder e = copy();
        e.damping = sigma;
        return e;
    }

    /** cols × cols in the original basis (e.g. E[xxᵀ] of the layer inputs); null = no Hessian. */
    public E8Encoder hessian(DMatrixRMaj h) {
        E8Encoder e = copy();
        e.hessian = h;
        return e;
    }

    public E8Encoder refinePasses(int passes) {
        if (passes < 0) throw new IllegalArgumentException("refine passes must be >= 0, got " + passes);
        E8Encoder e = copy();
        e.refinePasses = passes;
        return e;
    }

    /**
     * true (default): a refinement move is taken only when it lowers the proxy loss, so refinement never ends
     * worse than plain BlockLDLQ. false: SPEC §5 as the reference runs it, taking every re-rounding, which
     * raised the proxy loss at 4 bits in our measurements (docs/codec.md).
     */
    public E8Encoder monotoneRefinement(boolean on) {
        E8Encoder e = copy();
        e.monotone = on;
        return e;
    }

    public E8Encoder progress(ProgressListener p) {
        E8Encoder e = copy();
        e.progress = p == null ? ProgressListener.NONE : p;
        return e;
    }

    /** The "no E8" ablation: same pipeline, but a scalar half-integer grid instead of the E8P codebook. */
    public E8Encoder noE8(boolean on) {
        E8Encoder e = copy();
        e.noE8 = on;
        return e;
    }

    /**
     * Searches ρ: encodes once per candidate {@code factor × default ρ} without refinement, keeps the candidate of
     * least proxy loss and encodes there with the full options. Low-rank matrices (e.g. q/k of small models) have
     * heavy-tailed rotated entries that the default ρ clips; a smaller ρ trades rounding for clipping error. Needs a
     * Hessian (without one every candidate's proxy loss is NaN and the default stays); ignored when {@link #rho}
     * overrides ρ. No factors = no search.
     */
    public E8Encoder rhoSearch(double... factors) {
        for (double f : factors)
            if (!(f > 0) || Double.isInfinite(f)) throw new IllegalArgumentException("rho factors must be finite and > 0, got " + f);
        E8Encoder e = copy();
        e.rhoSearch = factors.length == 0 ? null : factors.clone();
        return e;
    }

    /**
     * Per-row scales folded into SV (SPEC's SV is an fp16 vector, so any real value is a valid SV): row i is divided
     * by r_i = ‖w_i‖^α before the RHT and SV_i carries r_i. The RHT spreads the codebook's error evenly over the
     * rows, so rows of very different norms get the same absolute error; the total error is proportional to
     * mean(‖w_i‖²/r_i²)·mean(r_i²), which α = ½ minimizes (Cauchy–Schwarz), α = 1 gives every row the same relative
     * error and α = 0 (default) is plain QuIP#.
     */
    public E8Encoder rowScaleExponent(double alpha) {
        if (!(alpha >= 0) || alpha > 1) throw new IllegalArgumentException("row scale exponent must be in [0, 1], got " + alpha);
        E8Encoder e = copy();
        e.rowExponent = alpha;
        return e;
    }

    /**
     * Per-column scales folded into SU (an fp16 vector like SV): column j of W is multiplied by
     * s_j = (√H_jj / ‖w_:j‖)^β before the RHT and SU_j carries 1/s_j, so inputs that matter more (large H_jj)
     * get proportionally less of the codebook's error. With the RHT spreading the error evenly over the columns, the
     * proxy loss with a diagonal H is proportional to mean(‖w_:j‖² s_j²)·mean(H_jj / s_j²), which β = ½ minimizes
     * (Cauchy–Schwarz). Needs a Hessian; without one, or with β = 0 (default), SU is plain ±1.
     */
    public E8Encoder columnScaleExponent(double beta) {
        if (!(beta >= 0) || beta > 1) throw new IllegalArgumentException("column scale exponent must be in [0, 1], got " + beta);
        E8Encoder e = copy();
        e.colExponent = beta;
        return e;
    }

    /**
     * 3 and 4 bits: choose each 8-block's stage-1 E8P code jointly with its residual code ({@link Rvq#quantizeJoint})
     * instead of greedily; same format, lower error, about 9× the rounding time of the greedy search (NearestBench).
     * Default off (QuIP#'s greedy RVQ).
     */
    public E8Encoder jointResidual(boolean on) {
        E8Encoder e = copy();
        e.jointResidual = on;
        return e;
    }

    /** Encodes without computing the error report (which costs about rows·cols² for the proxy loss). */
    public E8Matrix encode(float[] rowMajor, int rows, int cols) {
        Prepared p = prepare(rowMajor, rows, cols);
        return searched(p).run(p, false, System.nanoTime()).matrix();
    }

    public E8Matrix encode(FMatrixRMaj w) {
        if (w == null) throw new IllegalArgumentException("matrix is null");
        return encode(w.data.length == w.numRows * w.numCols ? w.data : java.util.Arrays.copyOf(w.data, w.numRows * w.numCols),
                w.numRows, w.numCols);
    }

    /** Encodes and reports proxy loss (with a Hessian), relative error, damping and encode time. */
    public EncodeResult encodeWithReport(float[] w, int rows, int cols) {
        long t0 = System.nanoTime();
        Prepared p = prepare(w, rows, cols);
        return searched(p).run(p, true, t0);
    }

    /**
     * This encoder with ρ fixed by the {@link #rhoSearch}, or itself when there is none to do. The candidates share
     * p: ρ only scales the rotated weights, so the Hessian is factored once, not once per candidate.
     */
    private E8Encoder searched(Prepared p) {
        if (rhoSearch == null || !Double.isNaN(rho)) return this;
        double def = codebook().defaultRho(), best = def, bestLoss = Double.POSITIVE_INFINITY;
        E8Encoder trial = copy();
        trial.rhoSearch = null;
        trial.refinePasses = 0;
        trial.progress = ProgressListener.NONE;
        for (double f : rhoSearch) {
            trial.rho = def * f;
            double loss = trial.run(p, true, System.nanoTime()).proxyLoss();
            if (loss < bestLoss) {
                bestLoss = loss;
                best = def * f;
            }
        }
        E8Encoder e = copy();
        e.rho = best;
        return e;
    }

    private BlockCodebook codebook() {
        double rs = noE8 || bits == 2 ? 0 : Double.isNaN(residScale) ? Rvq.defaultResidualScale(bits) : residScale;
        return noE8 ? new HalfIntegerGrid(bits) : new E8pCodebook(bits, rs, jointResidual);
    }

    /**
     * What the encode pipeline computes before ρ enters: the normalization, the axis scales, the rotated weights and
     * the factored Hessian. {@code wr} is shared and must not be changed.
     */
    private record Prepared(float[] w, int rows, int cols, int m, int n, double s, float[] svSign, float[] rowScale, float[] suOut,
                            float[] wr, double rotSq, BlockLdlq.Operands ops, RegularizedHessian hReg, double sigma, boolean increased,
                            ProxyLoss.Scorer[] scorer) {
        /** Made on first use: an encode without a report never needs it. */
        ProxyLoss.Scorer proxyLoss() {
            if (scorer[0] == null) scorer[0] = new ProxyLoss.Scorer(w, rows, hReg);
            return scorer[0];
        }
    }

    private Prepared prepare(float[] w, int rows, int cols) {
        checkWeights(w, rows, cols);
        int m = Hadamard.paddedSize(rows, 16), n = Hadamard.paddedSize(cols, 64);

        // Hessian first: its errors are the user's, and should come before any long computation.
        RegularizedHessian hNorm = hessian == null ? null : RegularizedHessian.of(hessian, cols);

        float[][] signs = SignVectors.draw(seed, n, m);
        float[] su = signs[0], svSign = signs[1];
        double sumSq = 0;
        for (float v : w) sumSq += (double) v * v;
        double s = Math.sqrt(sumSq / w.length);
        // An all-zero W has no scale; SV = 0 then decodes it exactly.
        float inv0 = s == 0 ? 1f : (float) (1 / s);
        float[] src = w;
        if (Float.isInfinite(inv0)) {
            // RMS below ~3e-39 (subnormal weights): 1/s overflows a float and w·(1/s) would be ∞ or NaN.
            // Normalize in double instead; the tiny scale then lives in SV as usual.
            src = new float[w.length];
            for (int i = 0; i < w.length; i++) src[i] = (float) (w[i] / s);
            inv0 = 1f;
        }
        float[] rowScale = AxisScales.rows(w, rows, cols, m, rowExponent);
        float[] svIn = svSign.clone();
        for (int i = 0; i < m; i++) svIn[i] /= rowScale[i];
        float[] colScale = AxisScales.columns(w, rows, cols, n, hNorm == null ? null : hNorm.diagonal(), colExponent);
        float[] suIn = su.clone(), suOut = su.clone();
        for (int j = 0; j < n; j++) {
            suIn[j] *= colScale[j];
            suOut[j] /= colScale[j];
        }
        float[] wr = Rotation.rotate(src, rows, cols, suIn, svIn, inv0);
        double rotSq = 0;
        for (float v : wr) rotSq += (double) v * v;

        BlockLdlq.Operands ops = null;
        double sigma = Double.NaN;
        boolean increased = false;
        RegularizedHessian hReg = null;
        if (hNorm != null) {
            sigma = damping;
            progress.update("factor Hessian", 0, 1);
            for (int attempt = 0; ; attempt++) {
                // One n × n double array (Hr, factored in place) and two float ones (Hr, Lᵀ): at n = 11008 the
                // dense copies this used to make held about 6 GB at once.
                double[] hr = Rotation.rotateHessian(hNorm.damped(sigma), suOut);
                float[] hf = BlockLdlq.floats(hr);
                double[] hkk = BlockLdlq.diagonalBlocks(hr, n);
                BlockLdl.Factors f = BlockLdl.factorInPlace(hr, n);
                if (f != null) {
                    ops = BlockLdlq.operands(hf, hkk, f);
                    hReg = hNorm.damped(sigma);
                    progress.update("factor Hessian", 1, 1);
                    break;
                }
                if (attempt == MAX_DAMPING_RETRIES)
                    throw new IllegalArgumentException("Hessian is not positive definite even with damping σ=" + sigma
                            + " (after normalizing to mean diagonal 1); is it a covariance matrix?");
                sigma = sigma == 0 ? DEFAULT_DAMPING : sigma * 10;
                increased = true;
            }
        }
        return new Prepared(w, rows, cols, m, n, s, svSign, rowScale, suOut, wr, rotSq, ops, hReg, sigma, increased, new ProxyLoss.Scorer[1]);
    }

    /** @param t0 when the encode began ({@link EncodeResult#seconds} counts from there) */
    private EncodeResult run(Prepared p, boolean report, long t0) {
        int rows = p.rows(), cols = p.cols(), m = p.m(), n = p.n();
        double rs = noE8 || bits == 2 ? 0 : Double.isNaN(residScale) ? Rvq.defaultResidualScale(bits) : residScale;
        BlockCodebook cb = codebook();
        double r = Double.isNaN(rho) ? cb.defaultRho() : rho;
        float[] wr = p.wr().clone();
        double wscale = Math.sqrt(p.rotSq() / wr.length) / r;
        if (wscale > 0) {
            float inv = (float) (1 / wscale);
            for (int i = 0; i < wr.length; i++) wr[i] *= inv;
        }

        BlockLdlq.Result q = BlockLdlq.run(wr, m, n, cb, p.ops(), refinePasses, monotone, progress);
        int[][] codes = new int[cb.stages()][m * (n / 8)];
        for (int i = 0; i < q.codes().length; i++)
            for (int st = 0; st < codes.length; st++) codes[st][i] = cb.stageCode(q.codes()[i], st);
        float scale = (float) (wscale * p.s());
        float[] sv = new float[m];
        for (int i = 0; i < m; i++) sv[i] = p.svSign()[i] * p.rowScale()[i] * scale;
        E8Matrix out = new E8Matrix(rows, cols, bits, !noE8, rs, p.suOut(), sv, codes);
        double seconds = (System.nanoTime() - t0) / 1e9;

        if (!report) return new EncodeResult(out, Double.NaN, Double.NaN, p.sigma(), p.increased(), seconds, r);
        float[] what = Rotation.unrotate(q.xhat(), p.suOut(), sv, rows, cols);
        double rel = ProxyLoss.relativeError(p.w(), what);
        double proxy = p.hReg() == null ? Double.NaN : p.proxyLoss().score(what);
        return new EncodeResult(out, proxy, rel, p.sigma(), p.increased(), seconds, r);
    }

    private static void checkWeights(float[] w, int rows, int cols) {
        if (w == null) throw new IllegalArgumentException("weights are null");
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("shape must be positive, got " + rows + "x" + cols);
        if ((long) rows * cols != w.length)
            throw new IllegalArgumentException("shape " + rows + "x" + cols + " needs " + (long) rows * cols + " weights, got " + w.length);
        for (int i = 0; i < w.length; i++)
            if (!Float.isFinite(w[i]))
                throw new IllegalArgumentException("weight (" + i / cols + ", " + i % cols + ") is " + w[i]);
    }
}
