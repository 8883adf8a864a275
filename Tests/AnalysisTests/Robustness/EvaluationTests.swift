import Analysis
import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

/// The robustness evaluation as a whole: determinism, batching, restarts, input checks
/// and the JSON file.
@Suite struct EvaluationTests {
  static func settings(
    _ norm: PerturbationNorm = .linf, batch: Int = 64, restarts: Int = 1, seed: UInt64 = 5
  )
    -> RobustnessSettings
  {
    RobustnessSettings(
      norm: norm, epsilons: norm == .linf ? [0.004, 0.008, 0] : [0.02, 0.05], steps: 10,
      restarts: restarts,
      seed: seed, batchSize: batch, checkExamples: 40)
  }

  static func run(
    _ settings: RobustnessSettings, _ model: some AttackableClassifier, _ x: [Float], _ y: [Int]
  )
    throws -> (RobustnessReport, [[Float]])
  {
    var adversarial = [[Float]](
      repeating: [Float](repeating: -1, count: x.count), count: settings.epsilons.count)
    let n = model.inputSize
    let curve = try RobustnessEvaluation(settings: settings).run(
      on: model, images: x, labels: y,
      adversarial: { e, range, images in
        for j in 0..<images.count { adversarial[e][range.lowerBound * n + j] = images[j] }
      })
    return (curve, adversarial)
  }

  /// Same seed, same curve and same adversarial images, whatever the batch size; the
  /// adversarial images cover every example.
  @Test(arguments: [PerturbationNorm.linf, .l2])
  func batchSizeDoesNotChangeTheResult(norm: PerturbationNorm) throws {
    let (model, x, y) = OracleData.multiclass(count: 150, inputSize: 12, classCount: 3, seed: 31)
    let (a, advA) = try Self.run(Self.settings(norm, batch: 64), model, x, y)
    let (b, advB) = try Self.run(Self.settings(norm, batch: 7), model, x, y)
    let (c, _) = try Self.run(Self.settings(norm, batch: 64), model, x, y)
    #expect(advA == advB)
    #expect(advA.allSatisfy { !$0.contains(-1) })
    #expect(a.robustAccuracy == b.robustAccuracy && a.sanityChecks == b.sanityChecks)
    var withoutBatch = b
    withoutBatch.attack?.batchSize = try #require(a.attack).batchSize
    #expect(withoutBatch.withoutTimes == a.withoutTimes && c.withoutTimes == a.withoutTimes)
  }

  /// Restart 0 of a three-restart run is the one-restart run, so restarts can only fool
  /// more examples.
  @Test func restartsNeverRaiseAccuracy() throws {
    let (model, x, y) = OracleData.multiclass(count: 150, inputSize: 12, classCount: 3, seed: 32)
    let (one, _) = try Self.run(Self.settings(.l2, restarts: 1), model, x, y)
    let (three, _) = try Self.run(Self.settings(.l2, restarts: 3), model, x, y)
    for e in one.eps.indices { #expect(three.robustAccuracy[e] <= one.robustAccuracy[e]) }
  }

  @Test func apgdCurveAgreesWithTheClosedForm() throws {
    let (model, x, y) = OracleData.binary(count: 200, inputSize: 20, seed: 33)
    var settings = Self.settings(.linf)
    settings.attack = .apgd
    settings.steps = 20
    let (curve, _) = try Self.run(settings, model, x, y)
    for (e, epsilon) in curve.eps.enumerated() {
      let exact = accuracy(model.exactlyRobust(x, labels: y, epsilon: epsilon, norm: .linf))
      #expect(abs(curve.robustAccuracy[e] - exact) <= 1.0 / 200)
    }
    #expect(curve.failedErrors.isEmpty && curve.failedWarnings.isEmpty)
    #expect(curve.attack?.name == "apgd" && curve.attack?.randomStart == "autoattack_sphere")
  }

  @Test func badInputIsOneClearError() {
    let (model, x, y) = OracleData.binary(count: 10, inputSize: 4, seed: 34)
    func problem(_ settings: RobustnessSettings, _ images: [Float], _ labels: [Int]) -> String? {
      do {
        _ = try RobustnessEvaluation(settings: settings).run(
          on: model, images: images, labels: labels)
        return nil
      } catch {
        return error.problem
      }
    }
    let good = Self.settings(.linf)
    #expect(problem(good, x, y) == nil)
    var negative = good
    negative.epsilons = [0.1, -0.01]
    #expect(problem(negative, x, y)?.contains("negative") == true)
    var huge = good
    huge.epsilons = [1.5]
    #expect(problem(huge, x, y)?.contains("beyond the pixel range") == true)
    var hugeL2 = Self.settings(.l2)
    hugeL2.epsilons = [2.5]  // √4 = 2 is the diagonal of the box
    #expect(problem(hugeL2, x, y)?.contains("beyond the pixel range") == true)
    #expect(problem(good, x.map { $0 * 255 }, y)?.contains("outside [0, 1]") == true)
    #expect(problem(good, x, Array(y.dropLast()))?.contains("label count mismatch") == true)
    #expect(problem(good, x, y.map { _ in 2 })?.contains("not a class") == true)
    var nan = x
    nan[3] = .nan
    #expect(problem(good, nan, y)?.contains("NaN") == true)
    var restarts = good
    restarts.restarts = 3
    restarts.randomStart = false
    #expect(problem(restarts, x, y)?.contains("random start") == true)
  }

  /// Images handed out batch by batch give the same curve, and a bad batch is an error.
  @Test func imagesOnDemand() throws {
    let (model, x, y) = OracleData.binary(count: 60, inputSize: 8, seed: 36)
    let evaluation = RobustnessEvaluation(settings: Self.settings(.linf, batch: 16))
    let whole = try evaluation.run(on: model, images: x, labels: y)
    let onDemand = try evaluation.run(
      on: model, labels: y, images: { Array(x[$0.lowerBound * 8..<$0.upperBound * 8]) })
    #expect(onDemand.withoutTimes == whole.withoutTimes)
    #expect(throws: RobustnessInputError.self) {
      try evaluation.run(on: model, labels: y) { range in
        Array(x[range.lowerBound * 8..<range.upperBound * 8]).map {
          range.lowerBound >= 32 ? $0 + 1 : $0
        }
      }
    }
  }

  /// The file format of DESIGN.md: snake_case keys, sorted, and a lossless round trip.
  @Test func jsonFileRoundTrips() throws {
    let (model, x, y) = OracleData.binary(count: 60, inputSize: 8, seed: 35)
    let (curve, _) = try Self.run(Self.settings(.linf), model, x, y)
    let dir = TemporaryDirectory()
    let path = dir.file("analysis/robustness-linf.json")
    try curve.write(to: path)
    #expect(try RobustnessReport.read(path) == curve)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        as? [String: Any])
    for key in [
      "norm", "attack", "n", "clean_accuracy", "eps", "robust_accuracy",
      "per_class_robust_accuracy",
      "sanity_checks",
    ] {
      #expect(object[key] != nil, "missing \(key)")
    }
    #expect(object["norm"] as? String == "linf" && object["n"] as? Int == 60)
    let checks = try #require(object["sanity_checks"] as? [[String: Any]])
    #expect(
      checks.allSatisfy { $0["name"] is String && $0["passed"] is Bool && $0["detail"] is String })
  }
}

@Suite struct EpsilonListTests {
  @Test func parsesDecimalsAndFractions() throws {
    #expect(try RobustnessSettings.parseEpsilons("0.5,1.5, 2.5") == [0.5, 1.5, 2.5])
    #expect(
      try RobustnessSettings.parseEpsilons("2/255,4/255,8/255") == [
        Float(2.0 / 255), Float(4.0 / 255), Float(8.0 / 255),
      ])
    #expect(try RobustnessSettings.parseEpsilons("0") == [0])
    // Parsing keeps the sign; rejecting a negative eps is the settings' check.
    #expect(try RobustnessSettings.parseEpsilons("-0.1") == [-0.1])
  }

  @Test(arguments: ["", "0.5,", "abc", "8/0", "1/2/3", "nan"])
  func rejectsWhatIsNotANumber(text: String) {
    #expect(throws: RobustnessInputError.self) { try RobustnessSettings.parseEpsilons(text) }
  }
}

extension RobustnessReport {
  /// The report with every stage's wall-clock time zeroed: the one field that differs
  /// between identical evaluations.
  var withoutTimes: RobustnessReport {
    var report = self
    report.stages = stages.map { $0.map { stage in
      var stage = stage
      stage.seconds = 0
      return stage
    } }
    return report
  }
}
