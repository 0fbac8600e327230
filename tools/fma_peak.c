/* This CPU's fp32 FMA peak, measured: 12 independent chains of fused multiply-adds per thread on the widest
   vectors the compiler targets (16 lanes with AVX-512, else 8 with AVX2/FMA), enough to hide the FMA latency on
   both FMA pipes, no memory traffic. Prints GMAC/s for the thread count OpenMP is given. Built and run by
   tools/bench_own_gan.py:
       cc -O3 -march=native -fopenmp tools/fma_peak.c -o fma_peak && OMP_NUM_THREADS=2 ./fma_peak
   (An 8-lane build measured 123 GMAC/s at 2 threads on an AVX-512 Xeon, where ONNX Runtime's fp32 convolutions
   then ran at 108% of it: the peak must use the vectors the libraries use.) */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#ifdef __AVX512F__
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#endif

int main(void) {
    const long iters = 100000000;
    float sink = 0;
    double t0 = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
    {
        vec acc[12], b = SET1(0.9999999f), c = SET1(1e-7f);
        for (int i = 0; i < 12; i++) acc[i] = SET1((float)i);
        for (long k = 0; k < iters; k++)
            for (int i = 0; i < 12; i++) acc[i] = FMA(acc[i], b, c);
        for (int i = 0; i < 12; i++) sink += acc[i][0];
    }
    double dt = omp_get_wtime() - t0;
    printf("%.1f %d %g\n", (double)iters * 12 * LANES * omp_get_max_threads() / dt / 1e9, omp_get_max_threads(), sink);
    return 0;
}
