#include "simd_kernels.h"

#include <stdlib.h>
#include <string.h>

// AVX-512: 32 registers of 16 floats.
typedef float float16v __attribute__((ext_vector_type(16)));
typedef float float8v __attribute__((ext_vector_type(8)));
#define VEC float16v
#define HALF float8v
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
typedef float float4v __attribute__((ext_vector_type(4)));
#define VEC float8v
#define HALF float4v
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
typedef float float2v __attribute__((ext_vector_type(2)));
#define VEC float4v
#define HALF float2v
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

void clens_winograd_input_plane_using(clens_isa isa, const float *plane, long height, long width, float *v,
                                     long stride16, float *scratch) {
  switch (isa) {
  case clens_isa_avx512: winograd_input_plane_avx512(plane, height, width, v, stride16, scratch); break;
  case clens_isa_avx2: winograd_input_plane_avx2(plane, height, width, v, stride16, scratch); break;
  default: winograd_input_plane_baseline(plane, height, width, v, stride16, scratch); break;
  }
}

void clens_winograd_output_plane_using(clens_isa isa, const float *m, long stride16, long height, long width,
                                      float *y, float *scratch) {
  switch (isa) {
  case clens_isa_avx512: winograd_output_plane_avx512(m, stride16, height, width, y, scratch); break;
  case clens_isa_avx2: winograd_output_plane_avx2(m, stride16, height, width, y, scratch); break;
  default: winograd_output_plane_baseline(m, stride16, height, width, y, scratch); break;
  }
}

void clens_winograd_input_plane(const float *plane, long height, long width, float *v, long stride16,
                                float *scratch) {
  clens_winograd_input_plane_using(clens_detected_isa(), plane, height, width, v, stride16, scratch);
}

void clens_winograd_output_plane(const float *m, long stride16, long height, long width, float *y,
                                 float *scratch) {
  clens_winograd_output_plane_using(clens_detected_isa(), m, stride16, height, width, y, scratch);
}

void clens_accumulate_rows_times(const float *const *rows, long n, long length, const float *b, long ldb, long m,
                                 float *c, long ldc) {
  clens_accumulate_rows_times_using(clens_detected_isa(), rows, n, length, b, ldb, m, c, ldc);
}

void clens_combine_rows(const float *a, long lda, long m, const float *const *rows, long n, long length,
                        float *c, long ldc) {
  clens_combine_rows_using(clens_detected_isa(), a, lda, m, rows, n, length, c, ldc);
}
