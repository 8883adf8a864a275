#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The per-point Gaussian bandwidth of t-SNE: the precision β for which the conditional
/// distribution p_{j|i} ∝ exp(−β d²_ij) over the point's neighbours has the requested
/// perplexity exp(H) (natural-log entropy).
///
/// Bisection on β as in openTSNE (start 1, tolerance 1e-8 on H, at most 200 steps). The
/// distances are shifted by their minimum first, which does not change p but keeps
/// exp(−β d²) from underflowing to zero for every neighbour.
public struct BandwidthSearch: Sendable {
  /// The result for one point.
  public struct Row: Sendable {
    /// The precision β (σ² = 1/(2β)).
    public var beta: Double
    /// exp(entropy) reached.
    public var perplexity: Double
    /// False when the search stopped at the step limit.
    public var converged: Bool
  }

  /// Target perplexity exp(H).
  public let perplexity: Double
  /// Largest accepted |H − ln perplexity|.
  public let tolerance: Double
  /// Bisection steps before giving up on a row.
  public let maxSteps: Int

  /// A search for `perplexity` with openTSNE's tolerance and step limit by default.
  public init(perplexity: Double, tolerance: Double = 1e-8, maxSteps: Int = 200) {
    precondition(perplexity > 0, "BandwidthSearch: perplexity must be positive")
    self.perplexity = perplexity
    self.tolerance = tolerance
    self.maxSteps = maxSteps
  }

  /// Finds β for one row of squared distances and writes the row's probabilities
  /// (summing to 1) into `probabilities`.
  public func solve(
    squaredDistances: UnsafeBufferPointer<Double>, probabilities: UnsafeMutableBufferPointer<Double>
  ) -> Row {
    let k = squaredDistances.count
    precondition(probabilities.count == k && k > 0, "BandwidthSearch: sizes do not match")
    var shift = Double.infinity
    for d in squaredDistances { shift = min(shift, d) }
    let target = log(perplexity)
    var beta = 1.0
    var lower = -Double.infinity
    var upper = Double.infinity
    var entropy = 0.0
    var converged = false
    for _ in 0..<maxSteps {
      var sum = 0.0
      var weighted = 0.0
      for j in 0..<k {
        let d = squaredDistances[j] - shift
        let w = exp(-beta * d)
        probabilities[j] = w
        sum += w
        weighted += w * d
      }
      entropy = log(sum) + beta * weighted / sum
      let scale = 1 / sum
      for j in 0..<k { probabilities[j] *= scale }
      if abs(entropy - target) <= tolerance {
        converged = true
        break
      }
      if entropy > target {
        lower = beta
        beta = upper.isFinite ? (beta + upper) / 2 : beta * 2
      } else {
        upper = beta
        beta = lower.isFinite ? (beta + lower) / 2 : beta / 2
      }
    }
    return Row(beta: beta, perplexity: exp(entropy), converged: converged)
  }

  /// Convenience form for one row given as an array.
  public func solve(squaredDistances: [Double]) -> (row: Row, probabilities: [Double]) {
    var p = [Double](repeating: 0, count: squaredDistances.count)
    let row = squaredDistances.withUnsafeBufferPointer { d in
      p.withUnsafeMutableBufferPointer { solve(squaredDistances: d, probabilities: $0) }
    }
    return (row, p)
  }
}
