import Engine

/// An attack that searches the ε-ball around each example for an input the classifier
/// gets wrong. PGD, APGD-CE and the random-noise baseline conform, so the robustness
/// evaluation runs any of them with restarts and the same bookkeeping.
public protocol AdversarialAttack: Sendable {
  /// The norm of the threat model.
  var norm: PerturbationNorm { get }
  /// The radius of the ball, in pixel units.
  var epsilon: Float { get }
  /// Attacks `labels.count` examples (`images` is `[count, inputSize]` in [0, 1]) once.
  /// `randomness[i]` supplies example i's random draws, so a result depends on the seed
  /// and the example, never on how examples were batched.
  func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun
}

/// What one run of an attack found for each example.
public struct AttackRun: Sendable {
  /// The returned points, `[count, inputSize]`, inside the ε-ball and the pixel box: a
  /// misclassified point for fooled examples, otherwise the attack's strongest point.
  public var adversarial: [Float]
  /// Whether the classifier gets the returned point wrong.
  public var fooled: [Bool]
  /// The cross-entropy at the strongest point the attack found for each example.
  public var losses: [Double]
  /// Mean cross-entropy over the examples at each iteration (for the loss-trace check).
  public var lossTrace: [Double]
  /// Gradient entries that were exactly zero over the run.
  public var zeroGradientEntries: Int
  /// All gradient entries the run computed (0 for gradient-free attacks).
  public var gradientEntries: Int

  /// Fraction of gradient entries that were exactly zero (sign(0) = 0 never moves a
  /// pixel under l-inf; a high fraction hints at gradient masking).
  public var zeroGradientFraction: Double {
    gradientEntries == 0 ? 0 : Double(zeroGradientEntries) / Double(gradientEntries)
  }
}

/// Copies rows `indices` of a `[_, width]` array into a new contiguous array.
func gatherRows(_ source: [Float], _ indices: [Int], width: Int) -> [Float] {
  var result = [Float](repeating: 0, count: indices.count * width)
  source.withUnsafeBufferPointer { s in
    result.withUnsafeMutableBufferPointer { r in
      for (k, row) in indices.enumerated() {
        for j in 0..<width { r[k * width + j] = s[row * width + j] }
      }
    }
  }
  return result
}

/// Writes the rows of `rows` (`[indices.count, width]`) back to rows `indices` of `target`.
func scatterRows(_ rows: [Float], into target: inout [Float], _ indices: [Int], width: Int) {
  rows.withUnsafeBufferPointer { s in
    target.withUnsafeMutableBufferPointer { t in
      for (k, row) in indices.enumerated() {
        for j in 0..<width { t[row * width + j] = s[k * width + j] }
      }
    }
  }
}

/// Copies row `row` of `source` into the same row of `target` (both `[_, width]`).
@inline(__always)
func copyRow(_ row: Int, from source: [Float], to target: inout [Float], width: Int) {
  for j in 0..<width { target[row * width + j] = source[row * width + j] }
}
