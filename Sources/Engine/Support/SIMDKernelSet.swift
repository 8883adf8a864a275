import SIMDKernels

/// Which variant of the engine's own convolution kernels (padded-image rows, Winograd
/// transforms) runs: the best of the CPU, or a lower one `CLENS_ISA=avx2|baseline` forces
/// so the AVX2 code can be measured on an AVX-512 machine. Benchmarks print it.
public enum SIMDKernelSet {
  /// "avx512", "avx2" or "baseline".
  public static var current: String {
    switch clens_detected_isa() {
    case clens_isa_avx512: "avx512"
    case clens_isa_avx2: "avx2"
    default: "baseline"
    }
  }
}
