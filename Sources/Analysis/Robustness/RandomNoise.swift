import Engine
import RunFormat

/// The gradient-free baseline: `draws` random points on the surface of the ε-ball
/// (random signs ±ε per pixel for l-inf, a uniform direction for l2), clipped to [0, 1].
/// An example is fooled when any draw is misclassified. A first-order attack that does
/// worse than this noise is not following the gradient (gradient masking, or a bug).
public struct RandomNoise: AdversarialAttack {
  public var norm: PerturbationNorm
  public var epsilon: Float
  public var draws: Int

  /// Random noise of norm ε, `draws` tries per example.
  public init(norm: PerturbationNorm, epsilon: Float, draws: Int) {
    precondition(epsilon >= 0 && draws >= 1, "RandomNoise: negative epsilon or no draws")
    self.norm = norm
    self.epsilon = epsilon
    self.draws = draws
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    let n = classifier.inputSize
    let count = labels.count
    precondition(images.count == count * n, "RandomNoise: images do not match labels")
    var rngs = randomness
    var adversarial = images
    var fooled = [Bool](repeating: false, count: count)
    var losses = [Double](repeating: -.infinity, count: count)
    var lossTrace = [Double]()
    var noisy = images
    var direction = [Float](repeating: 0, count: n)
    for _ in 0..<draws {
      for row in 0..<count {
        switch norm {
        case .linf:
          for j in 0..<n { direction[j] = rngs[row].next() & 1 == 0 ? -epsilon : epsilon }
        case .l2:
          for j in 0..<n { direction[j] = Float(rngs[row].normal()) }
          let scale =
            epsilon
            / max(
              direction.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, n) }, 1e-30)
          for j in 0..<n { direction[j] *= scale }
        }
        for j in 0..<n {
          noisy[row * n + j] = AttackMath.clamp(images[row * n + j] + direction[j], 0, 1)
        }
      }
      let z = classifier.logits(noisy, count: count)
      let predicted = AttackMath.predictions(z, classCount: classifier.classCount)
      let ce = CrossEntropy(logits: z, labels: labels, classCount: classifier.classCount)
      lossTrace.append(ce.losses.reduce(0, +) / Double(max(count, 1)))
      for row in 0..<count where !fooled[row] {
        let wrong = predicted[row] != labels[row]
        if wrong || ce.losses[row] > losses[row] {
          AttackMath.copyRow(row, from: noisy, to: &adversarial, width: n)
          losses[row] = ce.losses[row]
        }
        fooled[row] = wrong
      }
    }
    return AttackRun(
      adversarial: adversarial, fooled: fooled, losses: losses, lossTrace: lossTrace,
      zeroGradientEntries: 0, gradientEntries: 0)
  }
}
