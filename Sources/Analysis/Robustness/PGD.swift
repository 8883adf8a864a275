import Engine
import RunFormat

/// Projected gradient descent (Madry et al. 2018) on the cross-entropy, step for step as
/// torchattacks 3.5.1 `PGD` (l-inf) and `PGDL2` (l2) do it.
///
/// - l-inf: x ← x + α·sign(∇ₓL); δ ← clip(x − x₀, −ε, ε); x ← clip(x₀ + δ, 0, 1).
/// - l2: x ← x + α·∇ₓL/(‖∇ₓL‖₂ + 1e-10); δ ← δ·min(1, ε/‖δ‖₂); x ← clip(x₀ + δ, 0, 1).
/// - Random start: δ ~ U(−ε, ε)ⁿ for l-inf; for l2 torchattacks' start, a Gaussian
///   direction scaled to radius U(0, 1)·ε (not uniform in the ball); then clip to [0, 1].
///
/// With `earlyExit`, an example stops moving at the first iterate the classifier gets
/// wrong (that iterate is returned). This never raises robust accuracy and saves the
/// model calls for fooled examples; without it the final iterate is returned, exactly
/// as torchattacks does.
public struct PGD: AdversarialAttack {
  public var norm: PerturbationNorm
  public var epsilon: Float
  /// α, the step length in pixel units (l-inf: per coordinate; l2: Euclidean).
  public var stepSize: Float
  public var steps: Int
  public var randomStart: Bool
  public var earlyExit: Bool

  /// A PGD attack; torchattacks' defaults are l-inf ε 8/255, α 2/255 and l2 ε 1, α 0.2,
  /// both with 10 steps and a random start.
  public init(
    norm: PerturbationNorm, epsilon: Float, stepSize: Float, steps: Int, randomStart: Bool = true,
    earlyExit: Bool = false
  ) {
    precondition(
      epsilon >= 0 && stepSize >= 0 && steps >= 0, "PGD: negative epsilon, step size or steps")
    self.norm = norm
    self.epsilon = epsilon
    self.stepSize = stepSize
    self.steps = steps
    self.randomStart = randomStart
    self.earlyExit = earlyExit
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    let n = classifier.inputSize
    let classes = classifier.classCount
    let count = labels.count
    precondition(images.count == count * n, "PGD: images do not match labels")
    var adversarial = images
    if randomStart { start(&adversarial, randomness: randomness, inputSize: n) }

    var losses = [Double](repeating: 0, count: count)
    var fooled = [Bool](repeating: false, count: count)
    var lossTrace = [Double]()
    var zeroEntries = 0
    var entries = 0
    var active = Array(0..<count)
    for _ in 0..<steps where !active.isEmpty {
      let batch = AttackMath.gatherRows(adversarial, active, width: n)
      let activeLabels = active.map { labels[$0] }
      var loss = [Double]()
      let result = classifier.inputGradient(batch, count: active.count) { z in
        let ce = CrossEntropy(logits: z, labels: activeLabels, classCount: classes)
        loss = ce.losses
        return ce.logitGradient
      }
      var gradient = result.gradient
      for (k, i) in active.enumerated() { losses[i] = loss[k] }
      lossTrace.append(losses.reduce(0, +) / Double(max(count, 1)))
      for g in gradient where g == 0 { zeroEntries += 1 }
      entries += gradient.count

      var stepping = active
      if earlyExit {
        let predicted = AttackMath.predictions(result.logits, classCount: classes)
        var keep = [Int]()
        var keepRows = [Int]()
        for (k, i) in active.enumerated() {
          if predicted[k] != labels[i] {
            fooled[i] = true
          } else {
            keep.append(i)
            keepRows.append(k)
          }
        }
        if keep.count != active.count {
          gradient = AttackMath.gatherRows(gradient, keepRows, width: n)
        }
        stepping = keep
        active = keep
      }
      step(&adversarial, gradient: gradient, rows: stepping, original: images, inputSize: n)
    }

    // Classify the points the loop moved last (all of them without early exit).
    if !active.isEmpty {
      let z = classifier.logits(
        AttackMath.gatherRows(adversarial, active, width: n), count: active.count)
      let activeLabels = active.map { labels[$0] }
      let predicted = AttackMath.predictions(z, classCount: classes)
      let ce = CrossEntropy(logits: z, labels: activeLabels, classCount: classes)
      for (k, i) in active.enumerated() {
        fooled[i] = predicted[k] != labels[i]
        losses[i] = ce.losses[k]
      }
    }
    return AttackRun(
      adversarial: adversarial, fooled: fooled, losses: losses, lossTrace: lossTrace,
      zeroGradientEntries: zeroEntries, gradientEntries: entries)
  }

  /// Moves `adversarial` to torchattacks' random starting point, clipped to [0, 1].
  private func start(_ adversarial: inout [Float], randomness: [RandomGenerator], inputSize n: Int)
  {
    var delta = [Float](repeating: 0, count: n)
    for row in 0..<randomness.count {
      var rng = randomness[row]
      switch norm {
      case .linf:
        for j in 0..<n { delta[j] = -epsilon + 2 * epsilon * rng.uniformFloat() }
      case .l2:
        for j in 0..<n { delta[j] = Float(rng.normal()) }
        let length = delta.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, n) }
        let radius = rng.uniformFloat()
        let scale = radius / length * epsilon
        for j in 0..<n { delta[j] *= scale }
      }
      for j in 0..<n {
        adversarial[row * n + j] = AttackMath.clamp(adversarial[row * n + j] + delta[j], 0, 1)
      }
    }
  }

  /// One PGD step and projection for examples `rows`; `gradient` holds their gradients in
  /// the same order.
  private func step(
    _ adversarial: inout [Float], gradient: [Float], rows: [Int], original: [Float],
    inputSize n: Int
  ) {
    let alpha = stepSize
    let eps = epsilon
    adversarial.withUnsafeMutableBufferPointer { x in
      gradient.withUnsafeBufferPointer { g in
        original.withUnsafeBufferPointer { x0 in
          for (k, row) in rows.enumerated() {
            let xi = x.baseAddress! + row * n
            let gi = g.baseAddress! + k * n
            let oi = x0.baseAddress! + row * n
            switch norm {
            case .linf:
              for j in 0..<n {
                let sign: Float = gi[j] > 0 ? 1 : (gi[j] < 0 ? -1 : 0)
                let moved = xi[j] + alpha * sign
                let delta = AttackMath.clamp(moved - oi[j], -eps, eps)
                xi[j] = AttackMath.clamp(oi[j] + delta, 0, 1)
              }
            case .l2:
              let gradientNorm = AttackMath.l2Norm(gi, n) + 1e-10
              var deltaSquares = 0.0
              for j in 0..<n {
                xi[j] = xi[j] + alpha * (gi[j] / gradientNorm)
                let d = Double(xi[j] - oi[j])
                deltaSquares += d * d
              }
              let deltaNorm = Float(deltaSquares.squareRoot())
              let factor = deltaNorm > 0 ? min(eps / deltaNorm, 1) : 1
              for j in 0..<n {
                xi[j] = AttackMath.clamp(oi[j] + (xi[j] - oi[j]) * factor, 0, 1)
              }
            }
          }
        }
      }
    }
  }
}
