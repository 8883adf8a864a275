import Analysis
import Engine
import Foundation
import RunFormat
import Testing

/// Each sanity check of spec §4.7 on numbers made to pass and to fail it, then on models
/// built to trip it.
@Suite struct SanityCheckTests {
  @Test func epsilonZero() {
    #expect(SanityCheck.epsilonZero(cleanAccuracy: 0.9, attackedAccuracy: 0.9, examples: 10).passed)
    let failed = SanityCheck.epsilonZero(cleanAccuracy: 0.9, attackedAccuracy: 0.8, examples: 10)
    #expect(!failed.passed && failed.severity == .error)
  }

  @Test func feasibility() {
    var record = FeasibilityRecord()
    let original: [Float] = [0.5, 0.5, 0.5, 0.5]
    record.record(
      adversarial: [0.6, 0.4, 0.5, 0.55], original: original, epsilon: 0.1, norm: .linf,
      inputSize: 2)
    #expect(SanityCheck.feasibility(record).passed)
    #expect(record.examples == 2 && abs(record.largestRatio - 1) < 1e-6)
    var outside = record
    outside.record(
      adversarial: [0.7, 0.5, 0.5, 0.5], original: original, epsilon: 0.1, norm: .linf, inputSize: 2
    )
    #expect(!SanityCheck.feasibility(outside).passed && outside.outsideBall == 1)
    var l2 = FeasibilityRecord()
    // ‖(0.06, 0.08)‖₂ = 0.1: on the sphere passes, beyond it fails.
    l2.record(
      adversarial: [0.56, 0.58], original: [0.5, 0.5], epsilon: 0.1, norm: .l2, inputSize: 2)
    #expect(SanityCheck.feasibility(l2).passed)
    l2.record(
      adversarial: [0.57, 0.58], original: [0.5, 0.5], epsilon: 0.1, norm: .l2, inputSize: 2)
    #expect(!SanityCheck.feasibility(l2).passed)
    var box = FeasibilityRecord()
    box.record(
      adversarial: [1.01, .nan], original: [0.99, 0.5], epsilon: 0.1, norm: .linf, inputSize: 2)
    #expect(box.outsideBox == 1 && box.notANumber == 1)
    #expect(!SanityCheck.feasibility(box).passed && SanityCheck.feasibility(box).severity == .error)
  }

  @Test func monotonicity() {
    #expect(SanityCheck.monotonicity(epsilons: [0.1, 0, 0.2], accuracies: [0.5, 0.9, 0.3]).passed)
    let rising = SanityCheck.monotonicity(epsilons: [0.1, 0, 0.2], accuracies: [0.5, 0.9, 0.6])
    #expect(!rising.passed && rising.detail.contains("0.1→0.2"))
  }

  @Test func moreEffortAndConvergence() {
    let grid: [Float] = [0.1, 0.2]
    #expect(
      SanityCheck.moreEffort(
        epsilons: grid, base: [0.5, 0.3], stronger: [0.5, 0.29], examples: 100
      ).passed)
    #expect(
      !SanityCheck.moreEffort(
        epsilons: grid, base: [0.5, 0.3], stronger: [0.51, 0.3], examples: 100
      ).passed)
    #expect(
      SanityCheck.converged(
        epsilons: grid, base: [0.5, 0.3], stronger: [0.5, 0.29], examples: 100
      ).passed)
    #expect(
      !SanityCheck.converged(
        epsilons: grid, base: [0.5, 0.3], stronger: [0.45, 0.3], examples: 100
      ).passed)
  }

  @Test func noiseSingleStepAndLargeEpsilon() {
    let grid: [Float] = [0.1]
    #expect(
      SanityCheck.noiseBaseline(
        epsilons: grid, attack: [0.4], noise: [0.399], draws: 8, examples: 1000
      ).passed)
    #expect(
      !SanityCheck.noiseBaseline(
        epsilons: grid, attack: [0.4], noise: [0.39], draws: 8, examples: 1000
      ).passed)
    #expect(
      SanityCheck.singleStep(epsilons: grid, attack: [0.4], singleStep: [0.6], examples: 100).passed
    )
    // One example of a small subset is tolerated, two are not.
    #expect(
      SanityCheck.singleStep(epsilons: grid, attack: [0.4], singleStep: [0.39], examples: 100)
        .passed)
    #expect(
      !SanityCheck.singleStep(epsilons: grid, attack: [0.4], singleStep: [0.38], examples: 100)
        .passed)
    #expect(
      SanityCheck.gradientFree(
        epsilons: grid, attack: [0.4], square: [0.399], queries: 9, examples: 1000
      ).passed)
    #expect(
      !SanityCheck.gradientFree(
        epsilons: grid, attack: [0.4], square: [0.39], queries: 9, examples: 1000
      ).passed)
    #expect(SanityCheck.largeEpsilon(epsilon: 0.5, accuracy: 0.01, examples: 100).passed)
    #expect(!SanityCheck.largeEpsilon(epsilon: 0.5, accuracy: 0.05, examples: 100).passed)
  }

  @Test func lossTraceGradientsLogitsDeterminism() {
    #expect(SanityCheck.lossIncreases(first: 0.3, last: 2, examples: 5).passed)
    #expect(!SanityCheck.lossIncreases(first: 0.3, last: 0.2, examples: 5).passed)
    #expect(SanityCheck.zeroGradients(fraction: 0.02).passed)
    #expect(!SanityCheck.zeroGradients(fraction: 0.5).passed)
    #expect(SanityCheck.logitsNotProbabilities([2, -1, 0.5, 0.5], classCount: 2).passed)
    #expect(!SanityCheck.logitsNotProbabilities([0.2, 0.8, 0.5, 0.5], classCount: 2).passed)
    #expect(SanityCheck.deterministic([1, 2], [1, 2]).passed)
    #expect(!SanityCheck.deterministic([1, 2], [1, 2.001]).passed)
  }

  // MARK: - End to end

  static func evaluate(
    _ model: some AttackableClassifier, _ x: [Float], _ y: [Int], norm: PerturbationNorm = .linf,
    epsilons: [Float], steps: Int = 20, image: ImageShape? = nil
  ) throws -> RobustnessReport {
    let settings = RobustnessSettings(
      norm: norm, epsilons: epsilons, steps: steps, stepSize: .relative(2.5), seed: 3,
      batchSize: 64,
      checkExamples: 200, imageShape: image, squareQueries: 50)
    return try RobustnessEvaluation(settings: settings).run(on: model, images: x, labels: y)
  }

  /// On the closed-form model every check passes and the curve is the exact one. Its 25
  /// inputs are taken as a 5×5 image, so the gradient-free Square Attack runs too.
  @Test(arguments: [PerturbationNorm.linf, .l2])
  func linearModelPassesEveryCheck(norm: PerturbationNorm) throws {
    let (model, x, y) = OracleData.binary(count: 300, inputSize: 25, seed: 8)
    let epsilons: [Float] = norm == .linf ? [0, 0.002, 0.005, 0.01] : [0, 0.01, 0.03, 0.06]
    let curve = try Self.evaluate(
      model, x, y, norm: norm, epsilons: epsilons, steps: 40,
      image: ImageShape(channels: 1, height: 5, width: 5))
    for check in curve.sanityChecks { #expect(check.passed, "\(check.name): \(check.detail)") }
    #expect(Set(curve.sanityChecks.map(\.name)).count == 14)
    #expect(curve.robustAccuracy[0] == curve.cleanAccuracy)
    #expect(curve.robustAccuracy == curve.robustAccuracyEnvelope)
    for (e, epsilon) in epsilons.enumerated() {
      let exact = accuracy(model.exactlyRobust(x, labels: y, epsilon: Double(epsilon), norm: norm))
      #expect(
        abs(curve.robustAccuracy[e] - exact) <= 2.0 / 300,
        "eps \(epsilon): \(curve.robustAccuracy[e]) vs \(exact)")
      // Per-class accuracies weighted by class size give the overall accuracy.
      let weighted = zip(curve.perClassRobustAccuracy[e], curve.classCounts).reduce(0.0) {
        $0 + ($1.0 ?? 0) * Double($1.1)
      }
      #expect(abs(weighted / 300 - curve.robustAccuracy[e]) < 1e-12)
      let ci = curve.robustAccuracyCi95[e]
      #expect(ci[0] <= curve.robustAccuracy[e] && curve.robustAccuracy[e] <= ci[1])
    }
  }

  /// A quantised input kills the gradient: the zero-gradient (entries and examples), noise,
  /// gradient-free and large-ε checks fire.
  @Test func gradientMaskingIsFlagged() throws {
    let (inner, x, y) = OracleData.binary(count: 200, inputSize: 25, seed: 9)
    let model = QuantisedClassifier(inner: inner, levels: 8)
    let z = model.logits(x, count: y.count)
    let labels = y.indices.map { z[2 * $0 + 1] > 0 ? 1 : 0 }
    let curve = try Self.evaluate(
      model, x, labels, epsilons: [0.03, 0.06], image: ImageShape(channels: 1, height: 5, width: 5))
    let failed = Set(curve.failedWarnings.map(\.name))
    #expect(failed.contains("gradients_not_zero"))
    #expect(failed.contains("gradient_at_every_example"))
    #expect(failed.contains("random_noise_not_stronger"))
    #expect(failed.contains("gradient_free_not_stronger"))
    #expect(failed.contains("large_eps_accuracy_near_zero"))
    #expect(curve.failedErrors.isEmpty)
  }

  /// Fresh noise in every forward pass: the determinism check fires, and ε = 0 through the
  /// attack no longer reproduces the clean accuracy (an error).
  @Test func randomisedModelIsFlagged() throws {
    let (inner, x, y) = OracleData.binary(count: 200, inputSize: 20, seed: 10)
    let curve = try Self.evaluate(
      NoisyClassifier(inner: inner, scale: 0.3), x, y, epsilons: [0, 0.005])
    #expect(curve.failedWarnings.map(\.name).contains("model_deterministic"))
    #expect(curve.failedErrors.map(\.name) == ["epsilon_zero_equals_clean"])
  }

  @Test func probabilityOutputsAreFlagged() throws {
    let (inner, x, y) = OracleData.multiclass(count: 100, inputSize: 8, classCount: 3, seed: 11)
    let curve = try Self.evaluate(ProbabilityClassifier(inner: inner), x, y, epsilons: [0.01])
    #expect(curve.failedWarnings.map(\.name).contains("outputs_are_logits"))
  }
}
