import RunFormat
/// Which attack a robustness curve runs.
public enum AttackKind: String, Sendable, Codable, CaseIterable {
  /// Projected gradient descent with a fixed step size (torchattacks `PGD`/`PGDL2`).
  case pgd
  /// APGD-CE, AutoAttack's step-size-free PGD (stronger; always starts randomly).
  case apgd
  /// APGD with the untargeted DLR loss (at least 3 classes).
  case apgdDLR = "apgd-dlr"
  /// APGD-T: targeted DLR towards each of `targets` runner-up classes (at least 4 classes).
  case apgdT = "apgd-t"
  /// FAB, the minimum-norm boundary attack (one gradient per class per iteration).
  case fab
  /// FAB-T: targeted FAB towards each of `targets` runner-up classes.
  case fabT = "fab-t"
  /// Square Attack, gradient-free (`queries` model calls per image).
  case square
  /// AutoAttack: `standard` (APGD-CE, APGD-T, FAB-T, Square) or `rand`.
  case autoattack

  /// The attack's name in tables and legends.
  public var title: String {
    switch self {
    case .pgd: "PGD"
    case .apgd: "APGD-CE"
    case .apgdDLR: "APGD-DLR"
    case .apgdT: "APGD-T"
    case .fab: "FAB"
    case .fabT: "FAB-T"
    case .square: "Square"
    case .autoattack: "AutoAttack"
    }
  }

  /// Classes the attack's loss needs: DLR compares the top three logits, targeted DLR four.
  public var minimumClasses: Int {
    switch self {
    case .apgdDLR: 3
    case .apgdT: 4
    default: 2
    }
  }
}

/// How long a PGD step is.
public enum StepSize: Sendable, Equatable {
  /// α in pixel units, the same for every ε.
  case absolute(Float)
  /// α = factor·ε/steps (the robustness library's 2.5·ε/steps keeps the step sensible
  /// across an ε grid).
  case relative(Float)

  /// α for radius `epsilon` and `steps` steps.
  public func value(epsilon: Float, steps: Int) -> Float {
    switch self {
    case .absolute(let alpha): alpha
    case .relative(let factor): factor * epsilon / Float(max(steps, 1))
    }
  }
}

/// The geometry of an image input, for attacks that work on windows of pixels.
public struct ImageShape: Sendable, Equatable {
  public var channels: Int
  public var height: Int
  public var width: Int

  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }
}

/// Everything that determines a robustness curve besides the model and the data.
public struct RobustnessSettings: Sendable {
  public var norm: PerturbationNorm
  /// The radii of the curve, in pixel units (l-inf 8/255 ≈ 0.0314).
  public var epsilons: [Float]
  public var attack: AttackKind
  /// Iterations per attack run.
  public var steps: Int
  /// PGD's step size (APGD chooses its own).
  public var stepSize: StepSize
  /// Runs per example from fresh random starts; an example is robust only if it
  /// survives all of them.
  public var restarts: Int
  /// PGD's random start (APGD always starts randomly).
  public var randomStart: Bool
  /// PGD stops moving an example once it is misclassified (never raises robust accuracy).
  public var earlyExit: Bool
  public var seed: UInt64
  /// Examples per model call; bounds the memory an evaluation needs.
  public var batchSize: Int
  /// Size of the seeded subset the extra sanity checks run on (more effort, noise,
  /// single step, large ε, ε = 0 through the attack, determinism).
  public var checkExamples: Int
  /// Random draws per example of the noise baseline.
  public var noiseDraws: Int
  /// The images' geometry; with it (and at least 5×5 pixels) the gradient-free check runs
  /// Square Attack, without it the check is left out.
  public var imageShape: ImageShape?
  /// Square Attack's model queries per example in the gradient-free check.
  public var squareQueries: Int
  /// Target classes of APGD-T and FAB-T (capped at classes − 1).
  public var targets: Int
  /// Square Attack's queries per example when it is the attack (or AutoAttack's stage).
  public var queries: Int
  /// Which AutoAttack.
  public var version: AutoAttack.Version
  /// Gradient samples per iteration of AutoAttack's `rand` version.
  public var eotSamples: Int

  /// Settings with the toolkit's defaults: PGD-20, α = 2.5·ε/20, one random start;
  /// AutoAttack's own (9 targets, 5,000 Square queries, 20 EOT samples).
  public init(
    norm: PerturbationNorm, epsilons: [Float], attack: AttackKind = .pgd, steps: Int = 20,
    stepSize: StepSize = .relative(2.5), restarts: Int = 1, randomStart: Bool = true,
    earlyExit: Bool = false, seed: UInt64 = 0, batchSize: Int = 100, checkExamples: Int = 200,
    noiseDraws: Int = 8, imageShape: ImageShape? = nil, squareQueries: Int = 100, targets: Int = 9,
    queries: Int = 5000, version: AutoAttack.Version = .standard, eotSamples: Int = 20
  ) {
    self.norm = norm
    self.epsilons = epsilons
    self.attack = attack
    self.steps = steps
    self.stepSize = stepSize
    self.restarts = restarts
    self.randomStart = randomStart
    self.earlyExit = earlyExit
    self.seed = seed
    self.batchSize = batchSize
    self.checkExamples = checkExamples
    self.noiseDraws = noiseDraws
    self.imageShape = imageShape
    self.squareQueries = squareQueries
    self.targets = targets
    self.queries = queries
    self.version = version
    self.eotSamples = eotSamples
  }

  /// Whether the gradient-free check (Square Attack) can run on these images.
  public var runsSquareAttack: Bool {
    guard let shape = imageShape else { return false }
    return shape.height >= 5 && shape.width >= 5
  }

  /// The ε grid of Core-tuning's robustness table: l2 0.5, 1.5, 2.5 and l-inf 2, 4, 8 /255.
  public static func paperEpsilons(_ norm: PerturbationNorm) -> [Float] {
    switch norm {
    case .l2: [0.5, 1.5, 2.5]
    case .linf: [2 / 255, 4 / 255, 8 / 255]
    }
  }

  /// The attack these settings describe at radius `epsilon`, with `steps` iterations
  /// (Square: `steps`/`self.steps` times the queries), against a `classCount`-class model.
  public func makeAttack(epsilon: Float, steps: Int, classCount: Int) -> any AdversarialAttack {
    let targetCount = min(targets, classCount - 1)
    switch attack {
    case .pgd:
      return PGD(
        norm: norm, epsilon: epsilon, stepSize: stepSize.value(epsilon: epsilon, steps: steps),
        steps: steps, randomStart: randomStart, earlyExit: earlyExit)
    case .apgd:
      return APGD(norm: norm, epsilon: epsilon, steps: steps)
    case .apgdDLR:
      return APGD(norm: norm, epsilon: epsilon, steps: steps, loss: .dlr)
    case .apgdT:
      return APGDTargeted(norm: norm, epsilon: epsilon, steps: steps, targets: targetCount)
    case .fab:
      return FAB(norm: norm, epsilon: epsilon, steps: steps)
    case .fabT:
      return FABTargeted(norm: norm, epsilon: epsilon, steps: steps, targets: targetCount)
    case .square:
      let shape = imageShape!
      return SquareAttack(
        norm: norm, epsilon: epsilon, queries: queries * steps / max(self.steps, 1), channels: shape.channels,
        height: shape.height, width: shape.width)
    case .autoattack:
      return AutoAttack(
        norm: norm, epsilon: epsilon, version: version, steps: steps, targets: targets, queries: queries,
        eotSamples: eotSamples, imageShape: imageShape)
    }
  }

  /// Checks the settings against a `classCount`-class model, when the attack is about
  /// to run.
  public func validate(classCount: Int) throws(RobustnessInputError) {
    if attack == .square && imageShape == nil {
      throw RobustnessInputError("square needs the images' shape (channels, height, width)")
    }
    if classCount < attack.minimumClasses {
      throw RobustnessInputError(
        "\(attack.rawValue) needs at least \(attack.minimumClasses) classes; the model has \(classCount)")
    }
  }

  /// Checks the settings for an input of `inputSize` values (nil while the images are not
  /// read yet: then an l2 eps is not checked against the image size); the problem, if
  /// any, in a sentence that names the option.
  public func validate(inputSize: Int?) throws(RobustnessInputError) {
    if epsilons.isEmpty { throw RobustnessInputError("no eps given") }
    let largest =
      inputSize.map { norm.largestEpsilon(inputSize: $0) } ?? (norm == .linf ? 1 : .infinity)
    for eps in epsilons {
      guard eps.isFinite, eps >= 0 else {
        throw RobustnessInputError("eps \(eps) is negative or not a number")
      }
      guard Double(eps) <= largest else {
        let bound = norm == .linf ? "1" : "√\(inputSize ?? 0) ≈ \(Float(largest))"
        throw RobustnessInputError(
          "eps \(eps) is beyond the pixel range: for \(norm.rawValue), a radius above \(bound) already "
            + "reaches every image in [0, 1]")
      }
    }
    if steps < 1 { throw RobustnessInputError("steps must be at least 1") }
    if case .absolute(let alpha) = stepSize, !(alpha.isFinite && alpha > 0) {
      throw RobustnessInputError("step size must be positive")
    }
    if case .relative(let factor) = stepSize, !(factor.isFinite && factor > 0) {
      throw RobustnessInputError("step-size factor must be positive")
    }
    if restarts < 1 { throw RobustnessInputError("restarts must be at least 1") }
    if restarts > 1 && attack == .autoattack {
      throw RobustnessInputError(
        "restarts apply to single attacks: AutoAttack's versions fix their own (standard runs each attack once)")
    }
    if targets < 1 { throw RobustnessInputError("targets must be at least 1") }
    if queries < 1 { throw RobustnessInputError("queries must be at least 1") }
    if eotSamples < 1 { throw RobustnessInputError("EOT samples must be at least 1") }
    if attack == .square, let shape = imageShape, shape.height < 5 || shape.width < 5 {
      throw RobustnessInputError(
        "square needs images of at least 5x5 pixels, found \(shape.height)x\(shape.width)")
    }
    if restarts > 1 && attack == .pgd && !randomStart {
      throw RobustnessInputError(
        "restarts above 1 need a random start (without one every restart is the same run)")
    }
    if batchSize < 1 { throw RobustnessInputError("batch size must be at least 1") }
    if checkExamples < 1 {
      throw RobustnessInputError("the sanity checks need at least one example")
    }
    if noiseDraws < 1 { throw RobustnessInputError("noise draws must be at least 1") }
    if squareQueries < 1 { throw RobustnessInputError("square queries must be at least 1") }
    if let shape = imageShape, let inputSize,
      shape.channels * shape.height * shape.width != inputSize
    {
      throw RobustnessInputError(
        "image shape \(shape.channels)x\(shape.height)x\(shape.width) does not match the model's \(inputSize) inputs"
      )
    }
  }
}

/// Input a robustness evaluation cannot run on, in one sentence.
public struct RobustnessInputError: Error, CustomStringConvertible, Equatable, Sendable {
  public let problem: String
  public init(_ problem: String) { self.problem = problem }
  public var description: String { problem }
}
