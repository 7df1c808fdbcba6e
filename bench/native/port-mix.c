/*
 * Copyright 2026 the e8q authors. Licensed under the Apache License, Version 2.0.
 *
 * Throughput of the 512-bit instructions the exact pair-table kernel is made of, alone and in pairs: which of them
 * compete for the same execution pipes on this CPU. Each loop runs 8 independent instructions per iteration; the
 * result is core cycles per iteration (the clock is measured first with a chain of dependent scalar adds).
 *
 * Build and run: gcc -O2 -march=native -o /tmp/port-mix bench/native/port-mix.c && /tmp/port-mix
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define N 20000000L

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double ghz(void) {
    long x = 0;
    double t0 = now();
    for (long i = 0; i < 500000000L; i++) __asm__ volatile("add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0" : "+r"(x));
    return 4 * 500000000.0 / (now() - t0) / 1e9;
}

#define PERM(a) a = _mm512_permutex2var_epi32(t0, a, t1)
#define SHIFT(a) a = _mm512_srli_epi32(a, 1)
#define AND(a) a = _mm512_and_si512(a, t0)
#define ADD(f) f = _mm512_add_ps(f, g)
#define FMA(f) f = _mm512_fmadd_ps(f, g, h)

/* Two ops, four of each, on independent registers; the asm keeps every register live and in a register. */
#define MIX(name, OPA, OPB)                                                                                     \
    {                                                                                                           \
        __m512i a0 = _mm512_set1_epi32(1), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;       \
        __m512i t0 = _mm512_set1_epi32(9), t1 = t0;                                                             \
        __m512 f0 = _mm512_set1_ps(1), f1 = f0, f2 = f0, f3 = f0, e0 = f0, e1 = f0, e2 = f0, e3 = f0;           \
        __m512 g = _mm512_set1_ps(0), h = g;                                                                    \
        (void) t1; (void) g; (void) h;                                                                          \
        double s0 = now();                                                                                      \
        for (long i = 0; i < N; i++) {                                                                          \
            OPA(a0, f0); OPA(a1, f1); OPA(a2, f2); OPA(a3, f3);                                                 \
            OPB(b0, e0); OPB(b1, e1); OPB(b2, e2); OPB(b3, e3);                                                 \
            __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(b0), "+v"(b1), "+v"(b2), "+v"(b3)); \
            __asm__ volatile("" : "+v"(f0), "+v"(f1), "+v"(f2), "+v"(f3), "+v"(e0), "+v"(e1), "+v"(e2), "+v"(e3)); \
        }                                                                                                       \
        printf("%-24s %5.2f cycles per 8 instructions\n", name, (now() - s0) / N * core_ghz * 1e9);                \
    }

/* Adapters: every op takes an integer and a float register and uses one of them. */
#define I_PERM(a, f) PERM(a)
#define I_SHIFT(a, f) SHIFT(a)
#define I_AND(a, f) AND(a)
#define F_ADD(a, f) ADD(f)
#define F_FMA(a, f) FMA(f)

int main(void) {
    double core_ghz = ghz();
    printf("core clock %.2f GHz\n", core_ghz);
    MIX("vpermi2d", I_PERM, I_PERM);
    MIX("vpsrld", I_SHIFT, I_SHIFT);
    MIX("vaddps", F_ADD, F_ADD);
    MIX("vfmadd", F_FMA, F_FMA);
    MIX("vpandd", I_AND, I_AND);
    MIX("vpermi2d + vpsrld", I_PERM, I_SHIFT);
    MIX("vpermi2d + vaddps", I_PERM, F_ADD);
    MIX("vpermi2d + vfmadd", I_PERM, F_FMA);
    MIX("vpermi2d + vpandd", I_PERM, I_AND);
    MIX("vpsrld + vaddps", I_SHIFT, F_ADD);
    MIX("vaddps + vfmadd", F_ADD, F_FMA);
    MIX("vaddps + vpandd", F_ADD, I_AND);
    return 0;
}
