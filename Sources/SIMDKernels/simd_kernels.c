#include "simd_kernels.h"

#include <stdlib.h>
#include <string.h>

// AVX-512: 32 registers of 16 floats.
typedef float float16v __attribute__((ext_vector_type(16)));
#define VEC float16v
#define EVEN_INDICES 0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30
#define ODD_INDICES 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31
#define ZIP_LOW_INDICES 0,16,1,17,2,18,3,19,4,20,5,21,6,22,7,23
#define ZIP_HIGH_INDICES 8,24,9,25,10,26,11,27,12,28,13,29,14,30,15,31
#define VL 16
#define TARGET __attribute__((target("avx512f")))
#define SUFFIX avx512
#define ROWS_KB1 24
#define ROWS_KB2 12
#define COMB_MB 8
#define COMB_MS 4
#define COMB_NV 3
#include "row_kernels.inc"

// AVX2 with FMA: 16 registers of 8 floats.
typedef float float8v __attribute__((ext_vector_type(8)));
#define VEC float8v
#define EVEN_INDICES 0,2,4,6,8,10,12,14
#define ODD_INDICES 1,3,5,7,9,11,13,15
#define ZIP_LOW_INDICES 0,8,1,9,2,10,3,11
#define ZIP_HIGH_INDICES 4,12,5,13,6,14,7,15
#define VL 8
#define TARGET __attribute__((target("avx2,fma")))
#define SUFFIX avx2
#define ROWS_KB1 12
#define ROWS_KB2 6
// 6 rows x 2 vectors: 12 accumulators, 2 row loads and 1 broadcast in 16 registers.
// 4 x 3 (also 12 accumulators, but 3 loads) ran at ~40 % of SGEMM on thin layers, 6 x 2
// at ~70 % (`CLENS_ISA=avx2 clens-bench conv`).
#define COMB_MB 6
#define COMB_MS 4
#define COMB_NV 2
#include "row_kernels.inc"

// Baseline x86-64 (SSE2) or any other CPU: 4 floats.
typedef float float4v __attribute__((ext_vector_type(4)));
#define VEC float4v
#define EVEN_INDICES 0,2,4,6
#define ODD_INDICES 1,3,5,7
#define ZIP_LOW_INDICES 0,4,1,5
#define ZIP_HIGH_INDICES 2,6,3,7
#define VL 4
#define TARGET
#define SUFFIX baseline
#define ROWS_KB1 12
#define ROWS_KB2 6
#define COMB_MB 4
#define COMB_MS 2
#define COMB_NV 2
#include "row_kernels.inc"

static clens_isa clens_cpu_isa(void) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return clens_isa_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return clens_isa_avx2;
#endif
  return clens_isa_baseline;
}

// The best instruction set of this CPU, or a lower one that CLENS_ISA (avx2, baseline)
// asks for: to measure the AVX2 kernels on an AVX-512 machine, as an AVX2-only machine
// would run them. Read once; every call after the first answers from the cache.
clens_isa clens_detected_isa(void) {
  static volatile int cached = -1;
  if (cached >= 0) return (clens_isa)cached;
  clens_isa isa = clens_cpu_isa();
  const char *wanted = getenv("CLENS_ISA");
  if (wanted && strcmp(wanted, "avx2") == 0 && isa == clens_isa_avx512) isa = clens_isa_avx2;
  if (wanted && strcmp(wanted, "baseline") == 0) isa = clens_isa_baseline;
  cached = (int)isa;
  return isa;
}

void clens_accumulate_rows_times_using(clens_isa isa, const float *const *rows, long n, long length,
                                       const float *b, long ldb, long m, float *c, long ldc) {
  switch (isa) {
  case clens_isa_avx512: accumulate_rows_times_avx512(rows, n, length, b, ldb, m, c, ldc); break;
  case clens_isa_avx2: accumulate_rows_times_avx2(rows, n, length, b, ldb, m, c, ldc); break;
  default: accumulate_rows_times_baseline(rows, n, length, b, ldb, m, c, ldc); break;
  }
}

void clens_combine_rows_using(clens_isa isa, const float *a, long lda, long m, const float *const *rows, long n,
                              long length, float *c, long ldc) {
  switch (isa) {
  case clens_isa_avx512: combine_rows_avx512(a, lda, m, rows, n, length, c, ldc); break;
  case clens_isa_avx2: combine_rows_avx2(a, lda, m, rows, n, length, c, ldc); break;
  default: combine_rows_baseline(a, lda, m, rows, n, length, c, ldc); break;
  }
}

void clens_winograd4_input_using(clens_isa isa, const float *plane, long plane_stride, long count, long height,
                                 long width, float *v, long stride36, float *scratch) {
  switch (isa) {
  case clens_isa_avx512: winograd4_input_avx512(plane, plane_stride, count, height, width, v, stride36, scratch); break;
  case clens_isa_avx2: winograd4_input_avx2(plane, plane_stride, count, height, width, v, stride36, scratch); break;
  default: winograd4_input_baseline(plane, plane_stride, count, height, width, v, stride36, scratch); break;
  }
}

void clens_winograd4_output_using(clens_isa isa, const float *m, long stride36, long count, long height, long width,
                                  float *plane, long plane_stride, float *scratch) {
  switch (isa) {
  case clens_isa_avx512: winograd4_output_avx512(m, stride36, count, height, width, plane, plane_stride, scratch); break;
  case clens_isa_avx2: winograd4_output_avx2(m, stride36, count, height, width, plane, plane_stride, scratch); break;
  default: winograd4_output_baseline(m, stride36, count, height, width, plane, plane_stride, scratch); break;
  }
}

void clens_winograd4_kernel_using(clens_isa isa, const float *w, long first, long end, long pairs, float *u) {
  switch (isa) {
  case clens_isa_avx512: winograd4_kernel_avx512(w, first, end, pairs, u); break;
  case clens_isa_avx2: winograd4_kernel_avx2(w, first, end, pairs, u); break;
  default: winograd4_kernel_baseline(w, first, end, pairs, u); break;
  }
}

void clens_winograd4_kernel(const float *w, long first, long end, long pairs, float *u) {
  clens_winograd4_kernel_using(clens_detected_isa(), w, first, end, pairs, u);
}

void clens_winograd4_output_adjoint_using(clens_isa isa, const float *plane, long plane_stride, long count,
                                          long height, long width, float *v, long stride36, float *scratch) {
  switch (isa) {
  case clens_isa_avx512: winograd4_output_adjoint_avx512(plane, plane_stride, count, height, width, v, stride36, scratch); break;
  case clens_isa_avx2: winograd4_output_adjoint_avx2(plane, plane_stride, count, height, width, v, stride36, scratch); break;
  default: winograd4_output_adjoint_baseline(plane, plane_stride, count, height, width, v, stride36, scratch); break;
  }
}

void clens_winograd4_kernel_adjoint_using(clens_isa isa, const float *m, long first, long end, long pairs, float *w) {
  switch (isa) {
  case clens_isa_avx512: winograd4_kernel_adjoint_avx512(m, first, end, pairs, w); break;
  case clens_isa_avx2: winograd4_kernel_adjoint_avx2(m, first, end, pairs, w); break;
  default: winograd4_kernel_adjoint_baseline(m, first, end, pairs, w); break;
  }
}

void clens_winograd4_output_adjoint(const float *plane, long plane_stride, long count, long height, long width,
                                    float *v, long stride36, float *scratch) {
  clens_winograd4_output_adjoint_using(clens_detected_isa(), plane, plane_stride, count, height, width, v, stride36,
                                       scratch);
}

void clens_winograd4_kernel_adjoint(const float *m, long first, long end, long pairs, float *w) {
  clens_winograd4_kernel_adjoint_using(clens_detected_isa(), m, first, end, pairs, w);
}

void clens_winograd4_input(const float *plane, long plane_stride, long count, long height, long width, float *v,
                           long stride36, float *scratch) {
  clens_winograd4_input_using(clens_detected_isa(), plane, plane_stride, count, height, width, v, stride36, scratch);
}

void clens_winograd4_output(const float *m, long stride36, long count, long height, long width, float *plane,
                            long plane_stride, float *scratch) {
  clens_winograd4_output_using(clens_detected_isa(), m, stride36, count, height, width, plane, plane_stride, scratch);
}

void clens_accumulate_rows_times(const float *const *rows, long n, long length, const float *b, long ldb, long m,
                                 float *c, long ldc) {
  clens_accumulate_rows_times_using(clens_detected_isa(), rows, n, length, b, ldb, m, c, ldc);
}

void clens_combine_rows(const float *a, long lda, long m, const float *const *rows, long n, long length,
                        float *c, long ldc) {
  clens_combine_rows_using(clens_detected_isa(), a, lda, m, rows, n, length, c, ldc);
}
