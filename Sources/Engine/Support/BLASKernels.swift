import CBLAS

/// Which SGEMM kernels OpenBLAS runs.
///
/// OpenBLAS chooses its kernels when the library loads, from the CPU or from the
/// `OPENBLAS_CORETYPE` environment variable; on AVX-512 CPUs its own choice (SkylakeX,
/// Cooperlake) runs convolutions about 1.6x faster than the AVX2 (Haswell) kernels a
/// cautious environment may force. Benchmarks print this to say which ran.
public enum BLASKernels {
  /// OpenBLAS runs single-threaded inside ContrastLens: the engine and the analyses split
  /// work over their own threads (one BLAS call per thread), which is faster on small
  /// shapes, keeps the thread count under `ComputeContext` control and makes results
  /// independent of how busy a BLAS thread pool is. Set once, on first use.
  private static let oneThread: Void = openblas_set_num_threads(1)

  /// Puts OpenBLAS in single-threaded mode (once per process); call before any direct
  /// `cblas_*` call.
  public static func useOneThread() { _ = oneThread }

  /// OpenBLAS's name for the kernels in use ("Haswell", "Cooperlake", ...).
  public static var current: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }
}
