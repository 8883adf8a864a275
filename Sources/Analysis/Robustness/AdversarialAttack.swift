import Engine
import RunFormat

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
