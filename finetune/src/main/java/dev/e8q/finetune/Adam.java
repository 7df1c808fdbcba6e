package dev.e8q.finetune;

import java.util.function.ToDoubleFunction;

/**
 * Adam with bias correction and no weight decay (PyTorch defaults β = (0.9, 0.999), ε = 1e-8), one
 * learning rate per {@link Param.Group}. Frozen parameters (null gradient) are skipped.
 */
public final class Adam {
    private final ParamSet set;
    private final double beta1, beta2, eps;
    private final double[][] m, v;
    private int t;

    public Adam(ParamSet set) {
        this(set, 0.9, 0.999, 1e-8);
    }

    public Adam(ParamSet set, double beta1, double beta2, double eps) {
        this.set = set;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        m = new double[set.size()][];
        v = new double[set.size()][];
    }

    public int steps() { return t; }

    /** One update with the given (already averaged) gradients. */
    public void step(double[][] grads, ToDoubleFunction<Param.Group> lr) {
        t++;
        double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
        for (int k = 0; k < grads.length; k++) {
            double[] g = grads[k];
            if (g == null) continue;
            Param p = set.params().get(k);
            double rate = lr.applyAsDouble(p.group());
            if (rate == 0) continue;
            if (m[k] == null) {
                m[k] = new double[g.length];
                v[k] = new double[g.length];
            }
            double[] mk = m[k], vk = v[k], w = p.value();
            for (int i = 0; i < g.length; i++) {
                mk[i] = beta1 * mk[i] + (1 - beta1) * g[i];
                vk[i] = beta2 * vk[i] + (1 - beta2) * g[i] * g[i];
                w[i] -= rate * (mk[i] / c1) / (Math.sqrt(vk[i] / c2) + eps);
            }
        }
    }
}
