package dev.e8q.codec;

/**
 * An encoded matrix and how well it fits. proxyLoss = tr((Ŵ−W)H(Ŵ−W)ᵀ)/tr(WHWᵀ) with H the regularized
 * Hessian (NaN without one); relativeError = ‖Ŵ−W‖²_F/‖W‖²_F; damping = the σ finally used (NaN without a
 * Hessian), dampingIncreased = it had to be raised above the requested one for Cholesky to succeed; seconds = encode time,
 * a ρ search's candidates included, not counting the computation of the result's two error figures; rho = the RMS the codebook saw
 * (the default, the override, or the one a {@link E8Encoder#rhoSearch} chose).
 */
public record EncodeResult(E8Matrix matrix, double proxyLoss, double relativeError, double damping,
                           boolean dampingIncreased, double seconds, double rho) {}
