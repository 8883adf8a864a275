import CBLAS


/// Row-major single-precision matrix product `C = alpha·op(A)·op(B) + beta·C` through
/// OpenBLAS, split over `threads` (by rows of C, or by columns when C has few rows).
///
/// `op(A)` is m×k and `op(B)` is k×n; `lda`, `ldb`, `ldc` are the row strides of A, B
/// and C as stored. Analysis code with large products (pairwise similarities, t-SNE)
/// should call this rather than `cblas_sgemm` directly.
public func gemm(
  transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
  c: UnsafeMutablePointer<Float>, ldc: Int, threads: ThreadCount = .one
) {
  BLASKernels.useOneThread()
  if m == 0 || n == 0 { return }
  let work = Double(m) * Double(n) * Double(k)
  let parts = work < 4e6 ? 1 : threads.value
  let pa = ConstPointer(a)
  let pb = ConstPointer(b)
  let pc = SendablePointer(c)
  let ta = transposeA ? CblasTrans : CblasNoTrans
  let tb = transposeB ? CblasTrans : CblasNoTrans
  if parts == 1 {
    cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    return
  }
  if m >= n || m >= 64 * parts {
    let ranges = evenRanges(m, parts: parts)
    parallelFor(chunks: ranges.count, threads: threads) { i in
      let r = ranges[i]
      // Rows r of op(A): row offset in A is r.lowerBound rows (no transpose) or columns (transpose).
      let aStart = pa.base + (transposeA ? r.lowerBound : r.lowerBound * lda)
      cblas_sgemm(CblasRowMajor, ta, tb, Int32(r.count), Int32(n), Int32(k), alpha, aStart, Int32(lda),
        pb.base, Int32(ldb), beta, pc.base + r.lowerBound * ldc, Int32(ldc))
    }
  } else {
    let ranges = evenRanges(n, parts: parts)
    parallelFor(chunks: ranges.count, threads: threads) { i in
      let r = ranges[i]
      let bStart = pb.base + (transposeB ? r.lowerBound * ldb : r.lowerBound)
      cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(r.count), Int32(k), alpha, pa.base, Int32(lda),
        bStart, Int32(ldb), beta, pc.base + r.lowerBound, Int32(ldc))
    }
  }
}

extension Tensor {
  /// Matrix product of two matrices, optionally transposing either operand first
  /// (cheaper than `transposed()`: BLAS reads the transpose in place).
  public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
    precondition(rank == 2 && other.rank == 2, "matmul: needs matrices, got \(shape) and \(other.shape)")
    let m = transposeSelf ? shape[1] : shape[0]
    let k = transposeSelf ? shape[0] : shape[1]
    let k2 = transposeOther ? other.shape[1] : other.shape[0]
    let n = transposeOther ? other.shape[0] : other.shape[1]
    precondition(k == k2, "matmul: inner dimensions differ: \(shape)\(transposeSelf ? "ᵀ" : "") × \(other.shape)\(transposeOther ? "ᵀ" : "")")
    let out = TensorStorage(uninitializedCount: m * n)
    if k == 0 {
      out.pointer.initialize(repeating: 0, count: m * n)
    } else {
      gemm(transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
        a: storage.pointer, lda: shape[1], b: other.storage.pointer, ldb: other.shape[1],
        c: out.pointer, ldc: n, threads: ComputeContext.current.threads)
    }
    let a = self
    let b = other
    return Tensor.result(out, shape: [m, n], inputs: [a, b]) { g in
      // C = op(A)·op(B): dop(A) = G·op(B)ᵀ, dop(B) = op(A)ᵀ·G, then undo the transposes.
      let da: Tensor? = a.requiresGradient
        ? (transposeSelf ? b.detached().matmul(g, transposeSelf: transposeOther, transposeOther: true)
          : g.matmul(b.detached(), transposeOther: !transposeOther))
        : nil
      let db: Tensor? = b.requiresGradient
        ? (transposeOther ? g.matmul(a.detached(), transposeSelf: true, transposeOther: transposeSelf)
          : a.detached().matmul(g, transposeSelf: !transposeSelf))
        : nil
      return [da, db]
    }
  }

  /// Batched matrix product of [B, m, k] and [B, k, n] tensors (a loop of `matmul`).
  public func batchedMatmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
    precondition(rank == 3 && other.rank == 3 && shape[0] == other.shape[0],
      "batchedMatmul: needs [B, m, k] and [B, k, n], got \(shape) and \(other.shape)")
    let products = zip(unstacked(alongAxis: 0), other.unstacked(alongAxis: 0)).map {
      $0.matmul($1, transposeSelf: transposeSelf, transposeOther: transposeOther)
    }
    return Tensor.stack(products, alongAxis: 0)
  }
}
