import Engine

/// Robust accuracy over an ε grid for one norm, with the sanity checks that say whether
/// to trust it (`analysis/robustness-<norm>.json`). `clens robustness` writes every
/// field; files made elsewhere need only `norm`, `clean_accuracy`, `eps` and
/// `robust_accuracy`.
public struct RobustnessReport: Sendable, Codable, Equatable {
  /// The attack behind the curve, as recorded in the JSON.
  public struct AttackRecord: Sendable, Codable, Equatable {
    /// "pgd", "apgd", "apgd-dlr", "apgd-t", "fab", "fab-t", "square" or "autoattack".
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
    /// AutoAttack's version ("standard" or "rand"); nil for other attacks.
    public var version: String?
    /// Target classes of APGD-T / FAB-T (AutoAttack's or on their own); nil otherwise.
    public var targets: Int?
    /// Square Attack's queries per image when it is the attack or a stage; nil otherwise.
    public var queries: Int?
    /// Gradient samples per iteration (AutoAttack rand); nil otherwise.
    public var eotSamples: Int?

    public init(
      name: String, loss: String, steps: Int, stepSize: Double?, stepSizeFactor: Double?, restarts: Int,
      randomStart: String, earlyExit: Bool, seed: UInt64, batchSize: Int, checkExamples: Int, noiseDraws: Int,
      squareQueries: Int?, version: String? = nil, targets: Int? = nil, queries: Int? = nil,
      eotSamples: Int? = nil
    ) {
      self.name = name
      self.loss = loss
      self.steps = steps
      self.stepSize = stepSize
      self.stepSizeFactor = stepSizeFactor
      self.restarts = restarts
      self.randomStart = randomStart
      self.earlyExit = earlyExit
      self.seed = seed
      self.batchSize = batchSize
      self.checkExamples = checkExamples
      self.noiseDraws = noiseDraws
      self.squareQueries = squareQueries
      self.version = version
      self.targets = targets
      self.queries = queries
      self.eotSamples = eotSamples
    }

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
      case version, targets, queries
      case eotSamples = "eot_samples"
    }
  }

  /// What one attack of a staged evaluation (AutoAttack) did at one ε; a single attack is
  /// one stage.
  public struct StageRecord: Sendable, Codable, Equatable {
    /// "apgd-ce", "apgd-t", "fab-t", "square", … or the single attack's name.
    public var name: String
    /// Examples it attacked (correct without attack and not fooled by earlier stages).
    public var attacked: Int
    /// Examples it fooled.
    public var fooled: Int
    /// Robust accuracy over all examples after this stage.
    public var robustAccuracy: Double
    /// Examples passed through the model forward only, and forward and backward.
    public var forwardPasses: Int
    public var gradientPasses: Int
    /// Wall-clock seconds.
    public var seconds: Double

    public init(
      name: String, attacked: Int, fooled: Int, robustAccuracy: Double, forwardPasses: Int, gradientPasses: Int,
      seconds: Double
    ) {
      self.name = name
      self.attacked = attacked
      self.fooled = fooled
      self.robustAccuracy = robustAccuracy
      self.forwardPasses = forwardPasses
      self.gradientPasses = gradientPasses
      self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
      case name, attacked, fooled, seconds
      case robustAccuracy = "robust_accuracy"
      case forwardPasses = "forward_passes"
      case gradientPasses = "gradient_passes"
    }
  }

  public var norm: PerturbationNorm
  /// The attack; nil in files made elsewhere that do not record it.
  public var attack: AttackRecord?
  /// Examples evaluated, when recorded.
  public var n: Int?
  public var cleanAccuracy: Double
  public var eps: [Double]
  /// Fraction of examples correct under the attack at each ε (the raw curve).
  public var robustAccuracy: [Double]
  /// Robust at ε and at every smaller ε of the grid (an adversarial example for a smaller
  /// ε is one for a larger ε too); equals the raw curve when the attack is consistent.
  public var robustAccuracyEnvelope: [Double]
  /// Wilson 95% interval [low, high] of each robust accuracy (empty when not recorded).
  public var robustAccuracyCi95: [[Double]]
  /// `[eps][class]`; null for a class without examples.
  public var perClassRobustAccuracy: [[Double?]]
  public var perClassCleanAccuracy: [Double?]
  public var classCounts: [Int]
  public var sanityChecks: [SanityCheck]
  /// `[eps][stage]`: what each attack did (empty when not recorded).
  public var stages: [[StageRecord]]
  /// `[eps][example]`: the index of the stage that fooled the example, −1 when it is
  /// robust, −2 when it is wrong without attack (empty when not recorded).
  public var brokenBy: [[Int]]

  public init(
    norm: PerturbationNorm, attack: AttackRecord?, n: Int?, cleanAccuracy: Double, eps: [Double],
    robustAccuracy: [Double], robustAccuracyEnvelope: [Double], robustAccuracyCi95: [[Double]],
    perClassRobustAccuracy: [[Double?]], perClassCleanAccuracy: [Double?], classCounts: [Int],
    sanityChecks: [SanityCheck], stages: [[StageRecord]] = [], brokenBy: [[Int]] = []
  ) {
    self.norm = norm
    self.attack = attack
    self.n = n
    self.cleanAccuracy = cleanAccuracy
    self.eps = eps
    self.robustAccuracy = robustAccuracy
    self.robustAccuracyEnvelope = robustAccuracyEnvelope
    self.robustAccuracyCi95 = robustAccuracyCi95
    self.perClassRobustAccuracy = perClassRobustAccuracy
    self.perClassCleanAccuracy = perClassCleanAccuracy
    self.classCounts = classCounts
    self.sanityChecks = sanityChecks
    self.stages = stages
    self.brokenBy = brokenBy
  }

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
    case stages
    case brokenBy = "broken_by"
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let normName = try c.decode(String.self, forKey: .norm)
    guard let norm = PerturbationNorm(rawValue: normName) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: [CodingKeys.norm], debugDescription: "norm '\(normName)' is neither 'linf' nor 'l2'"))
    }
    self.norm = norm
    attack = try c.decodeIfPresent(AttackRecord.self, forKey: .attack)
    n = try c.decodeIfPresent(Int.self, forKey: .n)
    cleanAccuracy = try c.decode(Double.self, forKey: .cleanAccuracy)
    eps = try c.decode([Double].self, forKey: .eps)
    robustAccuracy = try c.decode([Double].self, forKey: .robustAccuracy)
    guard eps.count == robustAccuracy.count else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: [], debugDescription: "\(eps.count) eps values but \(robustAccuracy.count) robust accuracies"))
    }
    guard !eps.isEmpty else {
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the eps list is empty"))
    }
    robustAccuracyEnvelope = try c.decodeIfPresent([Double].self, forKey: .robustAccuracyEnvelope) ?? robustAccuracy
    robustAccuracyCi95 = try c.decodeIfPresent([[Double]].self, forKey: .robustAccuracyCi95) ?? []
    perClassRobustAccuracy = try c.decodeIfPresent([[Double?]].self, forKey: .perClassRobustAccuracy) ?? []
    perClassCleanAccuracy = try c.decodeIfPresent([Double?].self, forKey: .perClassCleanAccuracy) ?? []
    classCounts = try c.decodeIfPresent([Int].self, forKey: .classCounts) ?? []
    sanityChecks = try c.decodeIfPresent([SanityCheck].self, forKey: .sanityChecks) ?? []
    stages = try c.decodeIfPresent([[StageRecord]].self, forKey: .stages) ?? []
    brokenBy = try c.decodeIfPresent([[Int]].self, forKey: .brokenBy) ?? []
    guard stages.isEmpty || stages.count == eps.count else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: [CodingKeys.stages], debugDescription: "\(stages.count) stage lists for \(eps.count) eps values"))
    }
  }

  /// The checks that failed with severity `error`: the curve's numbers are wrong.
  public var failedErrors: [SanityCheck] {
    sanityChecks.filter { !$0.passed && $0.severity == .error }
  }
  /// The checks that failed with severity `warning`: the curve may overstate robustness.
  public var failedWarnings: [SanityCheck] {
    sanityChecks.filter { !$0.passed && $0.severity == .warning }
  }

  /// Writes the curve atomically to `path` (normally `analysis/robustness-<norm>.json`).
  public func write(to path: String) throws(FileError) { try JSONOutput.write(self, to: path) }

  /// Reads a curve, checking that its lists agree.
  public static func read(_ path: String) throws(FileError) -> RobustnessReport {
    try JSONInput.read(RobustnessReport.self, from: path)
  }
}
