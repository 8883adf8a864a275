#ifndef CLENS_SIMD_KERNELS_H
#define CLENS_SIMD_KERNELS_H

/// The engine's convolution kernels. The row kernels take the rows of one operand as
/// pointers, so a zero-padded image serves as a virtual im2col matrix (each row a pointer
/// into it) and a plain matrix's rows are read in place, unpacked; the Winograd kernels
/// transform tiles. Each entry point picks AVX-512, AVX2+FMA or baseline code for the CPU
/// it runs on. Rows must hold `length` readable floats.

/// c[j*ldc + i] += sum over t < length of rows[j][t] * b[t*ldb + i], for j < n, i < m.
/// m must be a multiple of 16 (pad b and c with zero columns).
void clens_accumulate_rows_times(const float *const *rows, long n, long length, const float *b, long ldb,
                                 long m, float *c, long ldc);

/// c[i*ldc + t] = sum over j < n of a[i*lda + j] * rows[j][t], for i < m, t < length.
/// length must be a multiple of 16.
void clens_combine_rows(const float *a, long lda, long m, const float *const *rows, long n,
                        long length, float *c, long ldc);

/// Winograd F(2x2, 3x3), one H x W plane (stride 1, padding 1): the input transform
/// V = B^T d B of every 4x4 tile (tile (ty, tx), value (i, j) to v[(4i + j)*stride16 +
/// ty*ceil(W/2) + tx]), and the output transform y = A^T m A from the same layout back to
/// the plane (a tile's last row or column dropped where H or W is odd). scratch holds
/// clens_winograd_scratch(width) floats.
void clens_winograd_input_plane(const float *plane, long height, long width, float *v, long stride16,
                                float *scratch);
void clens_winograd_output_plane(const float *m, long stride16, long height, long width, float *y,
                                 float *scratch);
static inline long clens_winograd_scratch(long width) { return 8 * (((width + 1) / 2 * 2 + 2 + 31) / 16 * 16 + 16); }

/// The kernels' instruction-set variants; each entry point runs the best one this CPU has.
typedef enum { clens_isa_baseline = 0, clens_isa_avx2 = 1, clens_isa_avx512 = 2 } clens_isa;

/// The best variant this CPU runs, or a lower one the CLENS_ISA environment variable
/// (avx2, baseline) asks for.
clens_isa clens_detected_isa(void);

/// The same kernels in a given variant (for tests: every variant the CPU runs must agree).
void clens_accumulate_rows_times_using(clens_isa isa, const float *const *rows, long n, long length,
                                       const float *b, long ldb, long m, float *c, long ldc);
void clens_winograd_input_plane_using(clens_isa isa, const float *plane, long height, long width, float *v,
                                     long stride16, float *scratch);
void clens_winograd_output_plane_using(clens_isa isa, const float *m, long stride16, long height, long width,
                                      float *y, float *scratch);
void clens_combine_rows_using(clens_isa isa, const float *a, long lda, long m, const float *const *rows, long n,
                              long length, float *c, long ldc);

#endif
