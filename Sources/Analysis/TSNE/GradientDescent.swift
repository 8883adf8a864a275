/// Gradient descent with momentum and per-coordinate gains (Jacobs 1988), as openTSNE
/// runs it: a gain grows by 0.2 while the gradient keeps pushing the same way as the
/// last update and otherwise shrinks to 0.8·gain + 0.01; steps are clipped per point.
/// The state persists across the early-exaggeration and normal phases.
struct GradientDescent {
  var update: [Double]
  var gains: [Double]
  static let minimumGain = 0.01

  init(count: Int) {
    update = [Double](repeating: 0, count: count)
    gains = [Double](repeating: 1, count: count)
  }

  /// One step of 2-D points: y ← y + (μ·update − η·gain·gradient), clipping the gradient
  /// and the step of each point to the given lengths when set.
  mutating func step(
    _ y: inout [Double], gradient: inout [Double], learningRate: Double, momentum: Double,
    maxStepNorm: Double?, maxGradientNorm: Double?
  ) {
    let n = y.count / 2
    if let maxGradientNorm {
      for i in 0..<n {
        let norm = (gradient[2 * i] * gradient[2 * i] + gradient[2 * i + 1] * gradient[2 * i + 1])
          .squareRoot()
        let coefficient = maxGradientNorm / (norm + 1e-6)
        if coefficient < 1 {
          gradient[2 * i] *= coefficient
          gradient[2 * i + 1] *= coefficient
        }
      }
    }
    for e in 0..<y.count {
      // NumPy's sign (0 for 0), as openTSNE compares them.
      if GradientDescent.sign(update[e]) != GradientDescent.sign(gradient[e]) {
        gains[e] += 0.2
      } else {
        gains[e] = gains[e] * 0.8 + GradientDescent.minimumGain
      }
      update[e] = momentum * update[e] - learningRate * gains[e] * gradient[e]
    }
    if let maxStepNorm {
      for i in 0..<n {
        let norm = (update[2 * i] * update[2 * i] + update[2 * i + 1] * update[2 * i + 1])
          .squareRoot()
        if norm > maxStepNorm {
          update[2 * i] *= maxStepNorm / norm
          update[2 * i + 1] *= maxStepNorm / norm
        }
      }
    }
    for e in 0..<y.count { y[e] += update[e] }
  }

  @inline(__always)
  static func sign(_ x: Double) -> Int { x > 0 ? 1 : x < 0 ? -1 : 0 }

  /// Moves 2-D points so their mean is zero.
  static func recentre(_ y: inout [Double]) {
    let n = y.count / 2
    var sx = 0.0
    var sy = 0.0
    for i in 0..<n {
      sx += y[2 * i]
      sy += y[2 * i + 1]
    }
    sx /= Double(n)
    sy /= Double(n)
    for i in 0..<n {
      y[2 * i] -= sx
      y[2 * i + 1] -= sy
    }
  }
}
