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

/// Winograd F(4x4, 3x3) (stride 1, padding 1) for `count` H x W planes, plane_stride
/// floats apart: the input transform V = B^T d B of every 6x6 tile (image g's tile
/// (ty, tx) is tile t = (g * ceil(H/4) + ty) * ceil(W/4) + tx, its value (i, j) goes to
/// v[(6i + j) * stride36 + t]), and the output transform y = A^T m A from the same layout
/// back to the planes (a tile's rows and columns past the image dropped). scratch holds
/// clens_winograd4_scratch(count, height, width) floats.
void clens_winograd4_input(const float *plane, long plane_stride, long count, long height, long width, float *v,
                           long stride36, float *scratch);
void clens_winograd4_output(const float *m, long stride36, long count, long height, long width, float *plane,
                            long plane_stride, float *scratch);
/// U = G g G^T of F(4x4, 3x3) for the 3x3 kernels first ..< end of w ([pairs][9]), value
/// (i, j) of kernel p to u[(6i + j) * pairs + p].
void clens_winograd4_kernel(const float *w, long first, long end, long pairs, float *u);
/// The weight gradient's transforms, the adjoints of the output and kernel transforms:
/// A dy A^T of every 4x4 tile of `count` output-gradient planes (zeros past the image),
/// laid out as clens_winograd4_input lays out V; and dw = G^T m G for the 6x6 matrices
/// first ..< end of m (value (i, j) of pair p at m[(6i + j) * pairs + p]) into w ([pairs][9]).
void clens_winograd4_output_adjoint(const float *plane, long plane_stride, long count, long height, long width,
                                    float *v, long stride36, float *scratch);
void clens_winograd4_kernel_adjoint(const float *m, long first, long end, long pairs, float *w);
/// Floats per padded input row (a multiple of 16), and per tile-row stack of the scratch.
static inline long clens_winograd4_row(long width) { return ((width + 3) / 4 * 4 + 4 + 15) / 16 * 16 + 16; }
static inline long clens_winograd4_rows_size(long count, long height, long width) {
  return count * ((height + 3) / 4) * ((width + 3) / 4 * 4) + clens_winograd4_row(width) + 64;
}
static inline long clens_winograd4_scratch(long count, long height, long width) {
  return 6 * clens_winograd4_row(width) + 12 * clens_winograd4_rows_size(count, height, width);
}

/// The kernels' instruction-set variants; each entry point runs the best one this CPU has.
typedef enum { clens_isa_baseline = 0, clens_isa_avx2 = 1, clens_isa_avx512 = 2 } clens_isa;

/// The best variant this CPU runs, or a lower one the CLENS_ISA environment variable
/// (avx2, baseline) asks for.
clens_isa clens_detected_isa(void);

/// The same kernels in a given variant (for tests: every variant the CPU runs must agree).
void clens_accumulate_rows_times_using(clens_isa isa, const float *const *rows, long n, long length,
                                       const float *b, long ldb, long m, float *c, long ldc);
void clens_winograd4_input_using(clens_isa isa, const float *plane, long plane_stride, long count, long height,
                                 long width, float *v, long stride36, float *scratch);
void clens_winograd4_output_using(clens_isa isa, const float *m, long stride36, long count, long height, long width,
                                  float *plane, long plane_stride, float *scratch);
void clens_winograd4_kernel_using(clens_isa isa, const float *w, long first, long end, long pairs, float *u);
void clens_winograd4_output_adjoint_using(clens_isa isa, const float *plane, long plane_stride, long count,
                                          long height, long width, float *v, long stride36, float *scratch);
void clens_winograd4_kernel_adjoint_using(clens_isa isa, const float *m, long first, long end, long pairs, float *w);
void clens_combine_rows_using(clens_isa isa, const float *a, long lda, long m, const float *const *rows, long n,
                              long length, float *c, long ldc);

#endif
