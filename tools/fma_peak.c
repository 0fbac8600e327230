/* This CPU's fp32 FMA peak, measured: 12 independent chains of 8-lane fused multiply-adds per thread
   (enough to hide the FMA latency on both FMA pipes), no memory traffic. Prints GMAC/s for the thread
   count OpenMP is given. Built and run by tools/bench_own_gan.py:
       cc -O3 -march=native -fopenmp tools/fma_peak.c -o fma_peak && OMP_NUM_THREADS=2 ./fma_peak */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

int main(void) {
    const long iters = 100000000;
    float sink = 0;
    double t0 = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
    {
        __m256 acc[12], b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
        for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
        for (long k = 0; k < iters; k++)
            for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
        for (int i = 0; i < 12; i++) sink += acc[i][0];
    }
    double dt = omp_get_wtime() - t0;
    printf("%.1f %d %g\n", (double)iters * 12 * 8 * omp_get_max_threads() / dt / 1e9, omp_get_max_threads(), sink);
    return 0;
}
