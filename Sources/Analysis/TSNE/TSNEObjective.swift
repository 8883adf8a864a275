import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The t-SNE objective KL(P‖Q) and its gradient for one embedding, without openTSNE's
/// dropped factor 4: g_i = e·Σ_j p_ij w_ij^(1/α)(y_i − y_j) − (1/Z) Σ_j w_ij^(1+1/α)(y_i − y_j),
/// with e the exaggeration. KL uses the unexaggerated P, so it needs no correction.
struct TSNEObjective {
  let affinities: SparseAffinities
  let dof: Double
  let threads: ThreadCount
  var repulsion: any Repulsion
  /// Σ p ln p, the part of KL that does not depend on the embedding.
  let entropyTerm: Double

  init(affinities: SparseAffinities, method: TSNEMethod, options: TSNEOptions) {
    self.affinities = affinities
    dof = options.degreesOfFreedom
    threads = options.threads
    entropyTerm = Attraction.entropyTerm(affinities)
    switch method.resolved(for: affinities.count) {
    case .exact, .auto:
      repulsion = ExactRepulsion(dof: dof, threads: threads)
    case .bh:
      repulsion = BarnesHutRepulsion(theta: options.theta, dof: dof, threads: threads)
    case .fft:
      repulsion = InterpolationRepulsion(
        dof: dof, points: options.interpolationPoints, minimumBoxes: options.minimumBoxes,
        boxWidth: options.boxWidth, threads: threads)
    }
  }

  /// Writes the gradient into `gradient` and returns (Z, KL or nil).
  mutating func evaluate(
    _ y: [Double], exaggeration: Double, evaluateKL: Bool, gradient: inout [Double]
  ) -> (normalizer: Double, kl: Double?) {
    var repulsive = [Double](repeating: 0, count: y.count)
    let z = y.withUnsafeBufferPointer { yb in
      repulsive.withUnsafeMutableBufferPointer { repulsion.forces(yb, into: $0) }
    }
    let (klPart, mass) = y.withUnsafeBufferPointer { yb in
      gradient.withUnsafeMutableBufferPointer { gb in
        Attraction.forces(
          affinities, y: yb, reference: yb, dof: dof, scale: exaggeration, into: gb,
          evaluateKL: evaluateKL, threads: threads)
      }
    }
    let inverseZ = 1 / z
    for e in 0..<y.count { gradient[e] -= repulsive[e] * inverseZ }
    return (z, evaluateKL ? entropyTerm + klPart + mass * log(z) : nil)
  }
}
