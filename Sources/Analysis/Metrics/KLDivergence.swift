import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The exact KL(P‖Q) of a 2-D embedding: the sparse sum Σ p_ij ln(p_ij / w_ij) plus
/// (Σ p) ln Z with Z = Σ_{i≠j} w_ij summed over all N² pairs — no approximation, O(N²).
public enum KLDivergence {
  /// KL(P‖Q) for affinities `p` and embedding `y` ([x0, y0, ...]) with the kernel of
  /// `dof` degrees of freedom.
  public static func exact(
    affinities p: SparseAffinities, embedding y: [Double], dof: Double = 1, threads: ThreadCount
  ) -> Double {
    precondition(y.count == 2 * p.count, "KLDivergence.exact: embedding must be N×2")
    var scratch = [Double](repeating: 0, count: y.count)
    let (sparse, mass) = y.withUnsafeBufferPointer { yb in
      scratch.withUnsafeMutableBufferPointer { sb in
        Attraction.forces(
          p, y: yb, reference: yb, dof: dof, scale: 1, into: sb, evaluateKL: true, threads: threads)
      }
    }
    let z = exactNormalizer(y, dof: dof, threads: threads)
    return Attraction.entropyTerm(p) + sparse + mass * log(z)
  }

  /// Z = Σ_{i≠j} (1 + ‖y_i − y_j‖²/α)^(−α), summed in fixed chunks (thread-count independent).
  public static func exactNormalizer(_ y: [Double], dof: Double, threads: ThreadCount) -> Double {
    let n = y.count / 2
    return chunkedSum(count: n, threads: threads) { points in
      var sum = 0.0
      y.withUnsafeBufferPointer { ys in
        for i in points {
          let xi = ys[2 * i]
          let yi = ys[2 * i + 1]
          var row = 0.0
          if dof == 1 {
            for j in 0..<n {
              let dx = xi - ys[2 * j]
              let dy = yi - ys[2 * j + 1]
              row += 1 / (1 + dx * dx + dy * dy)
            }
          } else {
            for j in 0..<n {
              let dx = xi - ys[2 * j]
              let dy = yi - ys[2 * j + 1]
              row += pow(1 + (dx * dx + dy * dy) / dof, -dof)
            }
          }
          sum += row - 1
        }
      }
      return sum
    }
  }
}
