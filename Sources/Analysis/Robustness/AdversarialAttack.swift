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
  /// The attack to run as restart `restart` (0 first). Most attacks draw a fresh random
  /// start in every restart and are the same attack; FAB starts at the image first and
  /// randomly afterwards.
  func forRestart(_ restart: Int) -> any AdversarialAttack
}

extension AdversarialAttack {
  public func forRestart(_ restart: Int) -> any AdversarialAttack { self }
}

/// What one run of an attack found for each example.
public struct AttackRun: Sendable {
  /// The returned points, `[count, inputSize]`, inside the ε-ball and the pixel box: a
  /// misclassified point for fooled examples, otherwise the attack's strongest point.
  public var adversarial: [Float]
  /// Whether the classifier gets the returned point wrong.
  public var fooled: [Bool]
  /// The attack's objective at the strongest point it found for each example (higher
  /// is stronger: cross-entropy, DLR, minus Square's margin, minus FAB's distance); the
  /// restarts keep the point with the highest one.
  public var losses: [Double]
  /// Mean loss over the examples at each iteration (for the loss-trace check); empty for
  /// FAB, which has no loss to climb.
  public var lossTrace: [Double]
  /// Gradient entries that were exactly zero over the run.
  public var zeroGradientEntries: Int
  /// All gradient entries the run computed (0 for gradient-free attacks).
  public var gradientEntries: Int
  /// For an attack made of stages (AutoAttack, APGD-T's targets): what each stage did;
  /// empty for a single attack.
  public var stages: [StageAccount] = []
  /// Per example, the index in `stages` of the stage that fooled it (nil: not fooled);
  /// empty for a single attack.
  public var brokenBy: [Int?] = []

  /// Fraction of gradient entries that were exactly zero (sign(0) = 0 never moves a
  /// pixel under l-inf; a high fraction hints at gradient masking).
  public var zeroGradientFraction: Double {
    gradientEntries == 0 ? 0 : Double(zeroGradientEntries) / Double(gradientEntries)
  }
}

/// What one stage of a staged attack did over the examples it was given.
public struct StageAccount: Sendable, Equatable {
  /// The stage's attack ("apgd-ce", "apgd-t", "fab-t", "square", …).
  public var name: String
  /// Examples the stage attacked (those no earlier stage fooled).
  public var attacked = 0
  /// Examples it fooled.
  public var fooled = 0
  /// Examples passed through the model forward only, and forward and backward.
  public var forwardPasses = 0
  public var gradientPasses = 0
  /// Wall-clock time of the stage.
  public var seconds = 0.0

  public init(name: String) { self.name = name }

  /// Adds another account of the same stage (another batch or restart).
  mutating func add(_ other: StageAccount) {
    attacked += other.attacked
    fooled += other.fooled
    forwardPasses += other.forwardPasses
    gradientPasses += other.gradientPasses
    seconds += other.seconds
  }
}
