import Engine
import RunFormat

/// Measures a classifier's robust accuracy over an ε grid and runs the sanity checks of
/// the analysis spec (§4.7) alongside, so a curve never comes without the evidence
/// that its attack worked.
///
/// Work goes batch by batch (`settings.batchSize` examples per model call), so memory
/// stays bounded whatever the number of examples. Examples the model already gets wrong
/// are not attacked, and later restarts attack only the examples earlier ones did not
/// fool; neither changes the result. Each example's random draws depend on the seed and
/// its index only, so batch size and thread count do not change the curve.
///
/// ```swift
/// let settings = RobustnessSettings(norm: .linf, epsilons: RobustnessSettings.paperEpsilons(.linf))
/// let curve = try RobustnessEvaluation(settings: settings).run(on: model, images: x, labels: y)
/// print(curve.cleanAccuracy, curve.robustAccuracy, curve.failedWarnings.map(\.name))
/// ```
public struct RobustnessEvaluation: Sendable {
  public var settings: RobustnessSettings

  public init(settings: RobustnessSettings) {
    self.settings = settings
  }

  /// Checks that the labels are classes of a `classCount`-class model.
  public static func validate(labels: [Int], classCount: Int) throws(RobustnessInputError) {
    if labels.isEmpty { throw RobustnessInputError("no examples") }
    if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
      throw RobustnessInputError("label \(bad) is not a class of a \(classCount)-class model")
    }
  }

  /// Checks that `images` are finite pixel values in [0, 1].
  public static func validate(pixels images: [Float]) throws(RobustnessInputError) {
    var outside = 0
    var low = Float.infinity
    var high = -Float.infinity
    for value in images {
      if value.isNaN { throw RobustnessInputError("images contain NaN") }
      if value < 0 || value > 1 { outside += 1 }
      low = min(low, value)
      high = max(high, value)
    }
    if outside > 0 {
      throw RobustnessInputError(
        "\(outside) pixel values outside [0, 1] (range \(low)…\(high)): attacks need raw pixels in [0, 1]; "
          + "dataset normalisation belongs inside the model (--normalize-mean/--normalize-std)")
    }
  }

  /// The curve of `classifier` on `images` (`[labels.count, inputSize]` in [0, 1]).
  ///
  /// - Parameters:
  ///   - progress: called with (batch attacks done, total) as work finishes.
  ///   - adversarial: receives, for each ε index and batch of examples, the adversarial
  ///     images of that batch (the input image for examples the model gets wrong clean).
  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images: [Float], labels: [Int],
    progress: ((Int, Int) -> Void)? = nil,
    adversarial: ((_ epsilonIndex: Int, _ examples: Range<Int>, _ images: [Float]) -> Void)? = nil
  ) throws(RobustnessInputError) -> RobustnessReport {
    let n = classifier.inputSize
    guard images.count == labels.count * n else {
      let found = n == 0 ? images.count : images.count / n
      throw RobustnessInputError(
        "\(labels.count) labels but \(found) images of \(n) values (label count mismatch)")
    }
    try Self.validate(pixels: images)
    return try run(
      on: classifier, labels: labels,
      images: { Array(images[$0.lowerBound * n..<$0.upperBound * n]) },
      progress: progress, adversarial: adversarial)
  }

  /// The curve of `classifier` on examples whose images `images(range)` hands out on
  /// demand (`[range.count, inputSize]` in [0, 1]), so that only a batch at a time needs
  /// to be in memory. Every batch is checked before it is attacked.
  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, labels: [Int], images: (Range<Int>) -> [Float],
    progress: ((Int, Int) -> Void)? = nil,
    adversarial: ((_ epsilonIndex: Int, _ examples: Range<Int>, _ images: [Float]) -> Void)? = nil
  ) throws(RobustnessInputError) -> RobustnessReport {
    let n = classifier.inputSize
    let classes = classifier.classCount
    try settings.validate(inputSize: n)
    try Self.validate(labels: labels, classCount: classes)
    try settings.validate(classCount: classes)
    func fetch(_ range: Range<Int>) throws(RobustnessInputError) -> [Float] {
      let batch = images(range)
      precondition(
        batch.count == range.count * n,
        "RobustnessEvaluation: the image source returned a wrong size")
      try Self.validate(pixels: batch)
      return batch
    }
    let count = labels.count
    let epsilons = settings.epsilons
    let root = RandomGenerator(seed: settings.seed)
    let attackStream = root.stream(0)

    let batches = stride(from: 0, to: count, by: settings.batchSize).map {
      $0..<min($0 + settings.batchSize, count)
    }
    var subsetRNG = root.stream(1)
    let subset = subsetRNG.permutation(count).prefix(min(settings.checkExamples, count)).sorted()
    let subsetBatches = stride(from: 0, to: subset.count, by: settings.batchSize).map {
      Array(subset[$0..<min($0 + settings.batchSize, subset.count)])
    }
    let positive = epsilons.indices.filter { epsilons[$0] > 0 }
    let epsilonZeroInGrid = epsilons.contains(0)
    let attacksPerEpsilon = settings.runsSquareAttack ? 4 : 3
    let stagesPerCheckBatch = 2 + (epsilonZeroInGrid ? 0 : 1) + attacksPerEpsilon * positive.count
    let total = batches.count * epsilons.count + subsetBatches.count * stagesPerCheckBatch
    var done = 0
    func advance() {
      done += 1
      progress?(done, total)
    }

    var cleanCorrect = [Bool](repeating: false, count: count)
    var robust = [[Bool]](repeating: [Bool](repeating: false, count: count), count: epsilons.count)
    var feasibility = FeasibilityRecord()
    var firstLoss = 0.0
    var lastLoss = 0.0
    var traceExamples = 0
    var zeroEntries = 0
    var gradientEntries = 0
    let stageNames =
      settings.attack == .autoattack
      ? AutoAttack(norm: settings.norm, epsilon: 0, version: settings.version, imageShape: settings.imageShape)
        .stageNames(classCount: classes)
      : [settings.attack.rawValue]
    var stages = epsilons.map { _ in stageNames.map { StageAccount(name: $0) } }
    // Per ε and example: the stage that fooled it, −1 robust, −2 wrong without attack.
    var brokenBy = [[Int]](repeating: [Int](repeating: -2, count: count), count: epsilons.count)
    for range in batches {
      let x = try fetch(range)
      let y = Array(labels[range])
      let predicted = AttackMath.predictions(
        classifier.logits(x, count: y.count), classCount: classes)
      let targets = y.indices.filter { predicted[$0] == y[$0] }
      for row in targets { cleanCorrect[range.lowerBound + row] = true }
      for (e, epsilon) in epsilons.enumerated() {
        let (outcome, whole) = StageAccount.measuring(stageNames[0], on: classifier) {
          attackWithRestarts(
            settings.makeAttack(epsilon: epsilon, steps: settings.steps, classCount: classes),
            restarts: settings.restarts, classifier: $0, images: x, labels: y, targets: targets,
            examples: Array(range), stream: attackStream)
        }
        var accounts = outcome.stages
        if accounts.isEmpty && stageNames.count == 1 {
          // A single attack is one stage.
          var account = whole
          account.attacked = targets.count
          account.fooled = targets.filter { outcome.fooled[$0] }.count
          accounts = [account]
        }
        for s in accounts.indices { stages[e][s].add(accounts[s]) }
        for row in targets {
          let example = range.lowerBound + row
          if outcome.fooled[row] {
            brokenBy[e][example] = outcome.brokenBy[row] ?? 0
          } else {
            robust[e][example] = true
            brokenBy[e][example] = -1
          }
        }
        feasibility.record(
          adversarial: outcome.adversarial, original: x, epsilon: epsilon, norm: settings.norm,
          inputSize: n)
        if epsilon > 0 {
          firstLoss += outcome.firstLoss * Double(outcome.traceExamples)
          lastLoss += outcome.lastLoss * Double(outcome.traceExamples)
          traceExamples += outcome.traceExamples
          zeroEntries += outcome.zeroGradientEntries
          gradientEntries += outcome.gradientEntries
        }
        adversarial?(e, range, outcome.adversarial)
        advance()
      }
    }

    let cleanAccuracy = fraction(cleanCorrect)
    var checks = [SanityCheck]()
    if epsilonZeroInGrid, let zero = epsilons.firstIndex(of: 0) {
      checks.append(
        .epsilonZero(
          cleanAccuracy: cleanAccuracy, attackedAccuracy: fraction(robust[zero]), examples: count))
    }
    checks += try runChecks(
      classifier: classifier, images: fetch, labels: labels, subsetBatches: subsetBatches,
      subsetSize: subset.count, cleanCorrect: cleanCorrect, robust: robust, positive: positive,
      feasibility: &feasibility, root: root, advance: advance)
    checks.append(.monotonicity(epsilons: epsilons, accuracies: robust.map(fraction)))
    let traceWeight = Double(max(traceExamples, 1))
    checks.append(
      .lossIncreases(
        first: firstLoss / traceWeight, last: lastLoss / traceWeight, examples: traceExamples))
    checks.append(
      .zeroGradients(
        fraction: gradientEntries == 0 ? 0 : Double(zeroEntries) / Double(gradientEntries)))
    checks.insert(.feasibility(feasibility), at: 0)
    if settings.attack == .autoattack {
      checks.append(.autoAttackComplete(version: settings.version, ran: stageNames))
      if let square = stageNames.firstIndex(of: "square") {
        checks.append(
          .squareAfterWhiteBox(
            epsilons: positive.map { epsilons[$0] },
            fooled: positive.map { Double(stages[$0][square].fooled) / Double(count) }, examples: count))
      }
    }

    var report = curve(
      cleanCorrect: cleanCorrect, robust: robust, labels: labels, classes: classes, checks: checks)
    report.stages = stages.map { accounts in
      var survivors = cleanCorrect.filter { $0 }.count
      return accounts.map { account in
        survivors -= account.fooled
        return RobustnessReport.StageRecord(
          name: account.name, attacked: account.attacked, fooled: account.fooled,
          robustAccuracy: Double(survivors) / Double(count), forwardPasses: account.forwardPasses,
          gradientPasses: account.gradientPasses, seconds: account.seconds)
      }
    }
    report.brokenBy = brokenBy
    return report
  }

  /// The checks that need extra model calls, on the seeded subset: determinism, logits,
  /// ε = 0 through the attack (unless the grid has it), large ε, and per positive ε a
  /// stronger attack, random noise, a single step and (for images) Square Attack.
  private func runChecks<Classifier: AttackableClassifier>(
    classifier: Classifier, images: (Range<Int>) throws(RobustnessInputError) -> [Float],
    labels: [Int],
    subsetBatches: [[Int]], subsetSize: Int, cleanCorrect: [Bool], robust: [[Bool]],
    positive: [Int],
    feasibility: inout FeasibilityRecord, root: RandomGenerator, advance: () -> Void
  ) throws(RobustnessInputError) -> [SanityCheck] {
    let n = classifier.inputSize
    let norm = settings.norm
    let epsilons = settings.epsilons
    let largeEpsilon = Float(norm.largestEpsilon(inputSize: n) / 2)
    let strongerRestarts =
      settings.attack == .pgd && !settings.randomStart ? 1 : settings.restarts + 1
    var largeSettings = settings
    largeSettings.stepSize = .relative(2.5)

    var firstLogits = [Float]()
    var zeroGradientExamples = 0
    var secondLogits = [Float]()
    var zeroSurvivors = 0
    var largeSurvivors = 0
    var cleanSurvivors = 0
    var baseSurvivors = [Int](repeating: 0, count: epsilons.count)
    var strongerSurvivors = [Int](repeating: 0, count: epsilons.count)
    var noiseSurvivors = [Int](repeating: 0, count: epsilons.count)
    var singleStepSurvivors = [Int](repeating: 0, count: epsilons.count)
    var squareSurvivors = [Int](repeating: 0, count: epsilons.count)
    for batch in subsetBatches {
      var x = [Float]()
      for example in batch { x += try images(example..<example + 1) }
      let y = batch.map { labels[$0] }
      let targets = batch.indices.filter { cleanCorrect[batch[$0]] }
      cleanSurvivors += targets.count
      firstLogits += classifier.logits(x, count: y.count)
      secondLogits += classifier.logits(x, count: y.count)
      zeroGradientExamples += Self.zeroGradientExamples(classifier, images: x, labels: y)
      advance()

      // Subset rows keep their example index, so their draws match the main run's.
      func survivors(_ attack: any AdversarialAttack, restarts: Int, stream: RandomGenerator) -> Int
      {
        let outcome = attackWithRestarts(
          attack, restarts: restarts, classifier: classifier, images: x, labels: y,
          targets: targets,
          examples: batch, stream: stream)
        feasibility.record(
          adversarial: outcome.adversarial, original: x, epsilon: attack.epsilon, norm: norm,
          inputSize: n)
        return targets.filter { !outcome.fooled[$0] }.count
      }

      if !epsilons.contains(0) {
        zeroSurvivors += survivors(
          settings.makeAttack(epsilon: 0, steps: settings.steps, classCount: classifier.classCount), restarts: 1,
          stream: root.stream(0))
        advance()
      }
      largeSurvivors += survivors(
        largeSettings.makeAttack(epsilon: largeEpsilon, steps: settings.steps, classCount: classifier.classCount),
        restarts: 1,
        stream: root.stream(2))
      advance()
      for e in positive {
        let epsilon = epsilons[e]
        baseSurvivors[e] += batch.filter { robust[e][$0] }.count
        strongerSurvivors[e] += survivors(
          settings.makeAttack(epsilon: epsilon, steps: 2 * settings.steps, classCount: classifier.classCount),
          restarts: strongerRestarts,
          stream: root.stream(0))
        advance()
        noiseSurvivors[e] += survivors(
          RandomNoise(norm: norm, epsilon: epsilon, draws: settings.noiseDraws), restarts: 1,
          stream: root.stream(3))
        advance()
        singleStepSurvivors[e] += survivors(
          PGD(norm: norm, epsilon: epsilon, stepSize: epsilon, steps: 1, randomStart: false),
          restarts: 1,
          stream: root.stream(4))
        advance()
        if let shape = settings.imageShape, settings.runsSquareAttack {
          squareSurvivors[e] += survivors(
            SquareAttack(
              norm: norm, epsilon: epsilon, queries: settings.squareQueries,
              channels: shape.channels,
              height: shape.height, width: shape.width), restarts: 1, stream: root.stream(5))
          advance()
        }
      }
    }

    let size = Double(max(subsetSize, 1))
    var checks = [SanityCheck]()
    if !epsilons.contains(0) {
      checks.append(
        .epsilonZero(
          cleanAccuracy: Double(cleanSurvivors) / size,
          attackedAccuracy: Double(zeroSurvivors) / size,
          examples: subsetSize))
    }
    checks.append(.deterministic(firstLogits, secondLogits))
    checks.append(.zeroGradientExamples(zeroGradientExamples, examples: subsetSize))
    checks.append(.logitsNotProbabilities(firstLogits, classCount: classifier.classCount))
    checks.append(
      .largeEpsilon(
        epsilon: largeEpsilon, accuracy: Double(largeSurvivors) / size, examples: subsetSize))
    if !positive.isEmpty {
      let grid = positive.map { epsilons[$0] }
      let base = positive.map { Double(baseSurvivors[$0]) / size }
      let stronger = positive.map { Double(strongerSurvivors[$0]) / size }
      checks.append(
        .moreEffort(epsilons: grid, base: base, stronger: stronger, examples: subsetSize))
      checks.append(
        .converged(epsilons: grid, base: base, stronger: stronger, examples: subsetSize))
      checks.append(
        .noiseBaseline(
          epsilons: grid, attack: base, noise: positive.map { Double(noiseSurvivors[$0]) / size },
          draws: settings.noiseDraws, examples: subsetSize))
      checks.append(
        .singleStep(
          epsilons: grid, attack: base,
          singleStep: positive.map { Double(singleStepSurvivors[$0]) / size },
          examples: subsetSize))
      if settings.runsSquareAttack {
        checks.append(
          .gradientFree(
            epsilons: grid, attack: base,
            square: positive.map { Double(squareSurvivors[$0]) / size },
            queries: settings.squareQueries, examples: subsetSize))
      }
    }
    return checks
  }

  /// Examples whose gradient of the DLR loss (cross-entropy with two classes) at the
  /// image is exactly zero: gradient-based attacks cannot move them (AutoAttack's
  /// `check_zero_gradients`).
  static func zeroGradientExamples<Classifier: AttackableClassifier>(
    _ classifier: Classifier, images: [Float], labels: [Int]
  ) -> Int {
    let n = classifier.inputSize
    let classes = classifier.classCount
    let gradient = classifier.inputGradient(images, count: labels.count) { z in
      classes >= 3
        ? DLRLoss(logits: z, labels: labels, classCount: classes).logitGradient
        : CrossEntropy(logits: z, labels: labels, classCount: classes).logitGradient
    }.gradient
    return labels.indices.filter { row in gradient[row * n..<(row + 1) * n].allSatisfy { $0 == 0 } }.count
  }

  /// Assembles the curve: accuracies, envelope, intervals and per-class numbers.
  private func curve(
    cleanCorrect: [Bool], robust: [[Bool]], labels: [Int], classes: Int, checks: [SanityCheck]
  ) -> RobustnessReport {
    let epsilons = settings.epsilons
    let order = epsilons.indices.sorted { epsilons[$0] < epsilons[$1] }
    var envelope = [[Bool]](repeating: [], count: epsilons.count)
    var running = cleanCorrect
    for e in order {
      running = zip(running, robust[e]).map { $0 && $1 }
      envelope[e] = running
    }
    var classCounts = [Int](repeating: 0, count: classes)
    for label in labels { classCounts[label] += 1 }
    func perClass(_ correct: [Bool]) -> [Double?] {
      var hits = [Int](repeating: 0, count: classes)
      for (i, label) in labels.enumerated() where correct[i] { hits[label] += 1 }
      return (0..<classes).map {
        classCounts[$0] == 0 ? nil : Double(hits[$0]) / Double(classCounts[$0])
      }
    }
    return RobustnessReport(
      norm: settings.norm, attack: RobustnessReport.AttackRecord(settings), n: labels.count,
      cleanAccuracy: fraction(cleanCorrect), eps: epsilons.map(Double.init),
      robustAccuracy: robust.map(fraction), robustAccuracyEnvelope: envelope.map(fraction),
      robustAccuracyCi95: robust.map {
        wilsonInterval(successes: $0.filter { $0 }.count, trials: $0.count)
      },
      perClassRobustAccuracy: robust.map(perClass), perClassCleanAccuracy: perClass(cleanCorrect),
      classCounts: classCounts, sanityChecks: checks)
  }
}

/// The fraction of `true` entries.
private func fraction(_ flags: [Bool]) -> Double {
  flags.isEmpty ? 0 : Double(flags.filter { $0 }.count) / Double(flags.count)
}
