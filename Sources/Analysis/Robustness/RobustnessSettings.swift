import RunFormat
/// Which attack a robustness curve runs.
public enum AttackKind: String, Sendable, Codable, CaseIterable {
  /// Projected gradient descent with a fixed step size (torchattacks `PGD`/`PGDL2`).
  case pgd
  /// APGD-CE, AutoAttack's step-size-free PGD (stronger; always starts randomly).
  case apgd
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

  /// Settings with the toolkit's defaults: PGD-20, α = 2.5·ε/20, one random start.
  public init(
    norm: PerturbationNorm, epsilons: [Float], attack: AttackKind = .pgd, steps: Int = 20,
    stepSize: StepSize = .relative(2.5), restarts: Int = 1, randomStart: Bool = true,
    earlyExit: Bool = false, seed: UInt64 = 0, batchSize: Int = 100, checkExamples: Int = 200,
    noiseDraws: Int = 8, imageShape: ImageShape? = nil, squareQueries: Int = 100
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

  /// The attack these settings describe at radius `epsilon`, with `steps` iterations.
  public func makeAttack(epsilon: Float, steps: Int) -> any AdversarialAttack {
    switch attack {
    case .pgd:
      PGD(
        norm: norm, epsilon: epsilon, stepSize: stepSize.value(epsilon: epsilon, steps: steps),
        steps: steps, randomStart: randomStart, earlyExit: earlyExit)
    case .apgd:
      APGD(norm: norm, epsilon: epsilon, steps: steps)
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
