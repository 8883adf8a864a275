import Engine
import Foundation

/// Robust accuracy over an ε grid for one norm, with the sanity checks that say whether
/// to trust it. Encodes to `analysis/robustness-<norm>.json` (DESIGN.md's format, plus
/// the envelope, confidence intervals and per-class clean accuracy).
public struct RobustnessReport: Sendable, Codable, Equatable {
  /// The attack behind the curve, as recorded in the JSON.
  public struct AttackRecord: Sendable, Codable, Equatable {
    /// "pgd" or "apgd".
    public var name: String
    public var loss: String
    public var steps: Int
    /// α in pixel units when it was given as a number.
    public var stepSize: Double?
    /// α = factor·ε/steps when it was given as a factor.
    public var stepSizeFactor: Double?
    public var restarts: Int
    public var randomStart: String
    public var earlyExit: Bool
    public var seed: UInt64
    public var batchSize: Int
    public var checkExamples: Int
    public var noiseDraws: Int
    /// Square Attack's queries in the gradient-free check; nil when it did not run.
    public var squareQueries: Int?

    enum CodingKeys: String, CodingKey {
      case name, loss, steps, restarts, seed
      case stepSize = "step_size"
      case stepSizeFactor = "step_size_factor"
      case randomStart = "random_start"
      case earlyExit = "early_exit"
      case batchSize = "batch_size"
      case checkExamples = "check_examples"
      case noiseDraws = "noise_draws"
      case squareQueries = "square_queries"
    }

    init(_ settings: RobustnessSettings) {
      name = settings.attack.rawValue
      loss = "cross_entropy"
      steps = settings.steps
      switch (settings.attack, settings.stepSize) {
      case (.apgd, _):
        stepSize = nil
        stepSizeFactor = nil
      case (.pgd, .absolute(let alpha)):
        stepSize = Double(alpha)
        stepSizeFactor = nil
      case (.pgd, .relative(let factor)):
        stepSize = nil
        stepSizeFactor = Double(factor)
      }
      restarts = settings.restarts
      switch (settings.attack, settings.norm, settings.randomStart) {
      case (.apgd, _, _): randomStart = "autoattack_sphere"
      case (.pgd, _, false): randomStart = "none"
      case (.pgd, .linf, true): randomStart = "uniform_box"
      case (.pgd, .l2, true): randomStart = "torchattacks_l2"
      }
      earlyExit = settings.attack == .pgd && settings.earlyExit
      seed = settings.seed
      batchSize = settings.batchSize
      checkExamples = settings.checkExamples
      noiseDraws = settings.noiseDraws
      squareQueries = settings.runsSquareAttack ? settings.squareQueries : nil
    }
  }

  public var norm: PerturbationNorm
  public var attack: AttackRecord
  /// Examples evaluated.
  public var n: Int
  public var cleanAccuracy: Double
  public var eps: [Double]
  /// Fraction of examples correct under the attack at each ε (the raw curve).
  public var robustAccuracy: [Double]
  /// Robust at ε and at every smaller ε of the grid (an adversarial example for a smaller
  /// ε is one for a larger ε too); equals the raw curve when the attack is consistent.
  public var robustAccuracyEnvelope: [Double]
  /// Wilson 95% interval [low, high] of each robust accuracy.
  public var robustAccuracyCi95: [[Double]]
  /// `[eps][class]`; null for a class without examples.
  public var perClassRobustAccuracy: [[Double?]]
  public var perClassCleanAccuracy: [Double?]
  public var classCounts: [Int]
  public var sanityChecks: [SanityCheck]

  enum CodingKeys: String, CodingKey {
    case norm, attack, n, eps
    case cleanAccuracy = "clean_accuracy"
    case robustAccuracy = "robust_accuracy"
    case robustAccuracyEnvelope = "robust_accuracy_envelope"
    case robustAccuracyCi95 = "robust_accuracy_ci95"
    case perClassRobustAccuracy = "per_class_robust_accuracy"
    case perClassCleanAccuracy = "per_class_clean_accuracy"
    case classCounts = "class_counts"
    case sanityChecks = "sanity_checks"
  }

  /// The checks that failed with severity `error`: the curve's numbers are wrong.
  public var failedErrors: [SanityCheck] {
    sanityChecks.filter { !$0.passed && $0.severity == .error }
  }
  /// The checks that failed with severity `warning`: the curve may overstate robustness.
  public var failedWarnings: [SanityCheck] {
    sanityChecks.filter { !$0.passed && $0.severity == .warning }
  }

  /// The curve as JSON with sorted keys (fails only on a non-finite number).
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    return try encoder.encode(self)
  }

  /// Writes the curve atomically to `path` (normally `analysis/robustness-<norm>.json`).
  public func write(to path: String) throws(FileError) {
    let data: Data
    do {
      data = try jsonData()
    } catch {
      throw FileError(path, "cannot encode the curve as JSON: \(error)")
    }
    try AtomicFile.write(data, to: path)
  }

  /// Reads a curve written by `write(to:)`.
  public static func read(_ path: String) throws(FileError) -> RobustnessReport {
    let data = try AtomicFile.read(path)
    do {
      return try JSONDecoder().decode(RobustnessReport.self, from: data)
    } catch {
      throw FileError(path, "not a robustness curve: \(error)")
    }
  }
}

/// The Wilson score 95% interval of `successes` out of `trials`.
func wilsonInterval(successes: Int, trials: Int) -> [Double] {
  guard trials > 0 else { return [0, 1] }
  let z = 1.959963984540054
  let n = Double(trials)
  let p = Double(successes) / n
  let denominator = 1 + z * z / n
  let center = (p + z * z / (2 * n)) / denominator
  let half = z / denominator * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
  return [max(0, center - half), min(1, center + half)]
}
