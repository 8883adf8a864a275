import Analysis
import Engine
import RunFormat
import TestSupport
import Testing

/// AutoAttack's pieces on models whose answer is known: the DLR losses against finite
/// differences, the targeted and minimum-norm attacks against the closed-form robust
/// accuracy of linear models, the staged bookkeeping, and AutoAttack's own warnings.
@Suite struct AutoAttackTests {
  /// Logits away from ties (a tie among the sorted logits is a kink of DLR).
  static func logits(rows: Int, classes: Int, seed: UInt64) -> ([Float], [Int]) {
    var rng = RandomGenerator(seed: seed)
    let z = (0..<rows * classes).map { _ in 3 * Float(rng.normal()) }
    return (z, (0..<rows).map { _ in rng.int(below: classes) })
  }

  /// ∂(Σ DLR)/∂z of both losses is the central finite difference, entry by entry.
  @Test(arguments: [false, true])
  func dlrGradientIsTheFiniteDifference(targeted: Bool) {
    let classes = 6
    let (z, y) = Self.logits(rows: 12, classes: classes, seed: 21)
    let targets = targeted ? y.map { ($0 + 2) % classes } : []
    func loss(_ logits: [Float]) -> DLRLoss {
      targeted
        ? DLRLoss(logits: logits, labels: y, targets: targets, classCount: classes)
        : DLRLoss(logits: logits, labels: y, classCount: classes)
    }
    let analytic = loss(z).logitGradient.map(Double.init)
    // The losses are float32 values (as PyTorch's), so the step is not too small.
    let h: Float = 1e-2
    let numeric = z.indices.map { j in
      var plus = z
      plus[j] += h
      var minus = z
      minus[j] -= h
      return (loss(plus).losses.reduce(0, +) - loss(minus).losses.reduce(0, +)) / Double(plus[j] - minus[j])
    }
    let error = maxRelativeError(analytic, numeric)
    #expect(error < 1e-3, "largest error \(error)")
  }

  /// DLR is the same for shifted and scaled logits (the reason AutoAttack uses it).
  @Test func dlrIsShiftAndScaleInvariant() {
    let (z, y) = Self.logits(rows: 10, classes: 5, seed: 22)
    let a = DLRLoss(logits: z, labels: y, classCount: 5).losses
    let b = DLRLoss(logits: z.map { 7 * $0 - 3 }, labels: y, classCount: 5).losses
    for (p, q) in zip(a, b) { #expect(abs(p - q) <= 1e-5 * max(1, abs(p)), "\(p) vs \(q)") }
  }

  func robust(
    _ attack: some AdversarialAttack, _ model: LinearClassifier, _ x: [Float], _ y: [Int]
  ) -> (flags: [Bool], run: AttackRun) {
    let z = model.logits(x, count: y.count)
    let classes = model.classCount
    let randomness = y.indices.map { RandomGenerator(seed: 12).stream(UInt64($0)) }
    let run = attack.run(on: model, images: x, labels: y, randomness: randomness)
    return (
      y.indices.map { i in
        let predicted = (0..<classes).max { z[i * classes + $0] < z[i * classes + $1] }
        return predicted == y[i] && !run.fooled[i]
      }, run
    )
  }

  /// On a linear 4-class model the boundary attacks find every adversarial example the
  /// closed form knows of (FAB steps onto the exact boundary), the targeted APGD nearly
  /// all, and AutoAttack, which runs them in turn, all of them.
  @Test(arguments: [PerturbationNorm.linf, .l2])
  func linearModelsAreSolvedExactly(norm: PerturbationNorm) {
    let (model, x, y) = OracleData.multiclass(count: 300, inputSize: 16, classCount: 4, seed: 23)
    let epsilon: Float = norm == .linf ? 0.01 : 0.04
    let exact = accuracy(model.exactlyRobust(x, labels: y, epsilon: Double(epsilon), norm: norm))
    #expect(exact > 0.1 && exact < 0.9)
    let oneExample = 1.0 / 300 + 1e-9
    let fab = accuracy(robust(FAB(norm: norm, epsilon: epsilon, steps: 10), model, x, y).flags)
    let fabT = accuracy(robust(FABTargeted(norm: norm, epsilon: epsilon, steps: 10, targets: 3), model, x, y).flags)
    let apgdT = accuracy(
      robust(APGDTargeted(norm: norm, epsilon: epsilon, steps: 30, targets: 3), model, x, y).flags)
    let apgdDLR = accuracy(robust(APGD(norm: norm, epsilon: epsilon, steps: 30, loss: .dlr), model, x, y).flags)
    let auto = accuracy(
      robust(AutoAttack(norm: norm, epsilon: epsilon, steps: 30, queries: 50, imageShape: nil), model, x, y).flags)
    #expect(abs(fab - exact) <= oneExample, "FAB \(fab) vs exact \(exact)")
    #expect(abs(fabT - exact) <= oneExample, "FAB-T \(fabT) vs exact \(exact)")
    #expect(abs(auto - exact) <= oneExample, "AutoAttack \(auto) vs exact \(exact)")
    #expect(apgdT >= exact - oneExample && apgdT - exact <= 0.03, "APGD-T \(apgdT) vs exact \(exact)")
    #expect(apgdDLR >= exact - oneExample && apgdDLR - exact <= 0.06, "APGD-DLR \(apgdDLR) vs exact \(exact)")
  }

  /// Each stage attacks what the earlier ones left, the counts add up, every fooled
  /// example names its stage, and the queries are what each attack spends.
  @Test func stagesAccountForEveryExample() {
    let (model, x, y) = OracleData.multiclass(count: 200, inputSize: 25, classCount: 5, seed: 24)
    let steps = 12
    let attack = AutoAttack(
      norm: .linf, epsilon: 0.012, steps: steps, targets: 3, queries: 40,
      imageShape: ImageShape(channels: 1, height: 5, width: 5))
    let (flags, run) = robust(attack, model, x, y)
    #expect(run.stages.map(\.name) == ["apgd-ce", "apgd-t", "fab-t", "square"])
    #expect(run.stages[0].attacked == y.count)
    for k in 1..<run.stages.count {
      #expect(run.stages[k].attacked == run.stages[k - 1].attacked - run.stages[k - 1].fooled)
    }
    for (k, stage) in run.stages.enumerated() {
      #expect(stage.fooled == run.brokenBy.filter { $0 == k }.count)
      #expect(stage.seconds >= 0 && stage.seconds.isFinite)
    }
    #expect(run.stages[0].fooled > 0 && run.stages[0].fooled < y.count)
    // APGD-CE: a gradient at the start and after each step.
    #expect(run.stages[0].gradientPasses == y.count * (steps + 1) && run.stages[0].forwardPasses == 0)
    // Square: a forward pass per query at most, plus its start and final check.
    #expect(run.stages[3].gradientPasses == 0)
    #expect(run.stages[3].forwardPasses <= run.stages[3].attacked * (40 + 2))
    #expect(zip(run.fooled, run.brokenBy).allSatisfy { $0 == ($1 != nil) })
    let correct = y.indices.filter { flags[$0] || run.fooled[$0] }.count
    #expect(correct - run.stages.map(\.fooled).reduce(0, +) == flags.filter { $0 }.count)
  }

  /// The `rand` version: APGD-CE then APGD-DLR, every gradient the mean of `eotSamples`
  /// passes. On a deterministic model the mean is the single gradient up to rounding, so
  /// the l-inf attack (which uses only its signs) is the one-sample attack at `eotSamples`
  /// times the backward passes.
  @Test func randVersionAveragesGradientSamples() {
    let (model, x, y) = OracleData.multiclass(count: 120, inputSize: 16, classCount: 4, seed: 28)
    let steps = 6
    let averaged = robust(
      AutoAttack(norm: .linf, epsilon: 0.01, version: .rand, steps: steps, eotSamples: 3, imageShape: nil), model, x, y
    ).run
    let single = robust(
      AutoAttack(norm: .linf, epsilon: 0.01, version: .rand, steps: steps, eotSamples: 1, imageShape: nil), model, x, y
    ).run
    #expect(averaged.stages.map(\.name) == ["apgd-ce", "apgd-dlr"])
    #expect(averaged.fooled == single.fooled && averaged.adversarial == single.adversarial)
    for (a, b) in zip(averaged.stages, single.stages) {
      #expect(a.gradientPasses == 3 * b.gradientPasses && b.gradientPasses == b.attacked * (steps + 1))
    }
    #expect(averaged.stages[1].fooled > 0, "APGD-DLR adds nothing: the test cannot tell it ran")
  }

  /// The evaluation of AutoAttack does not depend on the batch size, reports its stages
  /// at every ε with robust accuracy after each, and names the stage of each example.
  @Test func evaluationReportsTheStages() throws {
    let (model, x, y) = OracleData.multiclass(count: 90, inputSize: 25, classCount: 4, seed: 25)
    func report(batch: Int) throws -> RobustnessReport {
      let settings = RobustnessSettings(
        norm: .l2, epsilons: [0.02, 0.05], attack: .autoattack, steps: 8, seed: 4, batchSize: batch,
        checkExamples: 20, imageShape: ImageShape(channels: 1, height: 5, width: 5), squareQueries: 10,
        targets: 3, queries: 30)
      return try RobustnessEvaluation(settings: settings).run(on: model, images: x, labels: y)
    }
    let a = try report(batch: 64)
    let b = try report(batch: 13)
    #expect(a.robustAccuracy == b.robustAccuracy && a.brokenBy == b.brokenBy)
    #expect(a.stages.count == 2 && a.stages.allSatisfy { $0.map(\.name) == ["apgd-ce", "apgd-t", "fab-t", "square"] })
    for (e, stages) in a.stages.enumerated() {
      #expect(stages.last?.robustAccuracy == a.robustAccuracy[e])
      #expect(stages.map(\.attacked) == b.stages[e].map(\.attacked))
      for (k, stage) in stages.enumerated() { #expect(stage.fooled == a.brokenBy[e].filter { $0 == k }.count) }
      #expect(a.brokenBy[e].filter { $0 == -1 }.count == Int((a.robustAccuracy[e] * 90).rounded()))
    }
    #expect(a.attack?.name == "autoattack" && a.attack?.version == "standard" && a.attack?.targets == 3)
    // A first batch the model gets all wrong attacks nothing and still adds up.
    var wrong = y
    let z = model.logits(x, count: y.count)
    for i in 0..<13 { wrong[i] = (0..<4).first { c in (0..<4).contains { z[i * 4 + $0] > z[i * 4 + c] } }! }
    let settings = RobustnessSettings(
      norm: .l2, epsilons: [0.05], attack: .autoattack, steps: 4, batchSize: 13, checkExamples: 5,
      imageShape: ImageShape(channels: 1, height: 5, width: 5), squareQueries: 5, targets: 3, queries: 10)
    let partial = try RobustnessEvaluation(settings: settings).run(on: model, images: x, labels: wrong)
    #expect(partial.stages[0].count == 4 && partial.stages[0][0].attacked == Int((partial.cleanAccuracy * 90).rounded()))
    #expect(partial.brokenBy[0].prefix(13).allSatisfy { $0 == -2 })
    #expect(a.sanityChecks.contains { $0.name == "autoattack_complete" && $0.passed })
    #expect(a.sanityChecks.contains { $0.name == "square_adds_little" })
  }

  /// AutoAttack's warnings: with 3 classes APGD-T cannot run (and a lone `apgd-t` is
  /// refused); when Square breaks what gradients could not, the check fires.
  @Test func autoAttackWarnings() throws {
    let (model3, x3, y3) = OracleData.multiclass(count: 60, inputSize: 25, classCount: 3, seed: 26)
    var settings = RobustnessSettings(
      norm: .linf, epsilons: [0.01], attack: .autoattack, steps: 5, checkExamples: 10,
      imageShape: ImageShape(channels: 1, height: 5, width: 5), squareQueries: 5, queries: 20)
    let curve = try RobustnessEvaluation(settings: settings).run(on: model3, images: x3, labels: y3)
    let incomplete = try #require(curve.sanityChecks.first { $0.name == "autoattack_complete" })
    #expect(!incomplete.passed && incomplete.detail.contains("apgd-t"))
    #expect(curve.stages[0].map(\.name) == ["apgd-ce", "fab-t", "square"])
    settings.attack = .apgdT
    #expect(throws: RobustnessInputError.self) {
      try RobustnessEvaluation(settings: settings).run(on: model3, images: x3, labels: y3)
    }
    settings.attack = .autoattack
    settings.restarts = 2
    #expect(throws: RobustnessInputError.self) {
      try RobustnessEvaluation(settings: settings).run(on: model3, images: x3, labels: y3)
    }

    // A quantised input: no gradient, so only Square finds adversarial examples.
    let (inner, x, y) = OracleData.binary(count: 120, inputSize: 25, seed: 27)
    let masked = QuantisedClassifier(inner: inner, levels: 8)
    let z = masked.logits(x, count: y.count)
    let labels = y.indices.map { z[2 * $0 + 1] > 0 ? 1 : 0 }
    let masking = RobustnessSettings(
      norm: .linf, epsilons: [0.06], attack: .autoattack, steps: 5, checkExamples: 10,
      imageShape: ImageShape(channels: 1, height: 5, width: 5), squareQueries: 5, queries: 100)
    let report = try RobustnessEvaluation(settings: masking).run(on: masked, images: x, labels: labels)
    let square = try #require(report.sanityChecks.first { $0.name == "square_adds_little" })
    #expect(!square.passed, "\(square.detail)")
    #expect(report.stages[0].last?.name == "square" && (report.stages[0].last?.fooled ?? 0) > 0)
  }
}

