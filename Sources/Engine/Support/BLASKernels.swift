import CBLAS

/// Which SGEMM kernels OpenBLAS runs.
///
/// OpenBLAS chooses its kernels when the library loads, from the CPU or from the
/// `OPENBLAS_CORETYPE` environment variable; on AVX-512 CPUs its own choice (SkylakeX,
/// Cooperlake) runs convolutions about 1.6x faster than the AVX2 (Haswell) kernels a
/// cautious environment may force. Benchmarks print this to say which ran.
public enum BLASKernels {
  /// OpenBLAS's name for the kernels in use ("Haswell", "Cooperlake", ...).
  public static var current: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }
}
