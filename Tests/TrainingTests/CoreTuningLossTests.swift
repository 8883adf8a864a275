import Engine
import Foundation
import TestSupport
import Testing
import Training

/// Core-tuning's generated pairs, soft-label cross-entropy and focal contrastive loss
/// against a PyTorch re-implementation of the released code (scripts/fixtures/
/// core_tuning.py), with the same random draws: rows, soft labels, partners, groups, the
/// loss values and the gradients of every input, for both hard-positive modes, detached
/// and attached originals, both normalisers and 20 classes (where the released code's
/// label ids overflow).
@Suite struct CoreTuningLossTests {
  struct Case: Decodable {
    var name: String
    var batch: Int
    var dim: Int
    var classes: Int
    var embedding: Int
    var hard_positive: String
    var detach_originals: Bool
    var normalizer: String
    var eta: Float
    var tau: Float
    var floor: Double
  }

  static let cases: [Case] = {
    struct File: Decodable { var cases: [Case] }
    let data = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("core.json")))
    return try! JSONDecoder().decode(File.self, from: data).cases
  }()

  static let tensors = try! SafeTensorsFile.read(Fixtures.path("core.safetensors")).tensors

  static func tensor(_ key: String) -> Tensor { tensors[key]!.tensor }
  static func integers(_ key: String) -> [Int] { tensors[key]!.floats().map { Int($0) } }

  @Test(arguments: cases.map(\.name)) func matchesPyTorch(name: String) throws {
    let c = try #require(Self.cases.first { $0.name == name })
    let p = name + "."
    let features = Self.tensor(p + "features").requiringGradient()
    let labels = Self.integers(p + "labels")
    let weights = ["classifier", "w1", "b1", "w2", "b2"].map { Self.tensor(p + $0).requiringGradient() }
    let mixing = HardPairMixing(
      alpha: 1, negativeFloor: c.floor, hardPositive: try #require(HardPairMixing.HardPositive(rawValue: c.hard_positive)),
      detachOriginals: c.detach_originals)
    // The draws are stored in float64; the engine takes them as Double, read exactly.
    let exactDraws = HardPairMixing.Draws(
      permutation: Self.integers(p + "permutation"), negativeWeights: doubles(p + "lam"),
      positiveWeights: doubles(p + "mu"))
    let partners = mixing.partners(features: features, labels: labels, draws: exactDraws)
    #expect(partners.hardNegative == Self.integers(p + "hard_negative"))
    #expect(partners.hardPositive == Self.integers(p + "hard_positive"))
    let rows = mixing.generate(features: features, labels: labels, classes: c.classes, draws: exactDraws)
    #expect(maxRelativeError(rows.features.scalars, Self.tensors[p + "rows"]!.floats()) < 1e-5)
    #expect(maxRelativeError(rows.targets.scalars, Self.tensors[p + "targets"]!.floats()) < 1e-6)
    #expect(rows.groups == Self.integers(p + "groups"))

    let logits = rows.features.matmul(weights[0], transposeOther: true)
    let ce = logits.crossEntropy(softTargets: rows.targets)
    let hidden = (rows.features.matmul(weights[1], transposeOther: true) + weights[2]).relu()
    let z = (hidden.matmul(weights[3], transposeOther: true) + weights[4]).l2Normalized(alongAxis: 1)
    let focal = FocalSupConLoss(
      temperature: c.tau, baseTemperature: c.tau, normalizer: try #require(FocalSupConLoss.Normalizer(rawValue: c.normalizer)))
    let con = focal(z, groups: rows.groups)
    let total = ce + con * c.eta
    for (value, key) in [(ce, "ce"), (con, "focal"), (total, "total")] {
      let expected = Self.tensors[p + key]!.floats()[0]
      #expect(abs(value.scalar - expected) <= 1e-4 * max(1, abs(expected)), "\(name) \(key): \(value.scalar) vs \(expected)")
    }
    let grads = gradients(of: total, wrt: [features] + weights)
    for (gradient, key) in zip(grads, ["features", "classifier", "w1", "b1", "w2", "b2"]) {
      let error = maxNormalizedError(gradient.scalars, Self.tensors[p + "grad." + key]!.floats())
      #expect(error < 1e-4, "\(name) d total / d \(key): error \(error)")
    }
  }

  func doubles(_ key: String) -> [Double] {
    let entry = Self.tensors[key]!
    return entry.bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
  }

  /// The focal loss against finite differences, both normalisers.
  @Test func focalGradientMatchesFiniteDifferences() {
    var rng = RandomGenerator(seed: 9)
    let z = Tensor(randomNormal: [6, 4], using: &rng).l2Normalized(alongAxis: 1)
    for normalizer in FocalSupConLoss.Normalizer.allCases {
      let loss = FocalSupConLoss(temperature: 0.5, baseTemperature: 0.5, normalizer: normalizer)
      let errors = gradientErrors(of: { loss($0[0], groups: [0, 1, 0, 2, 1, 0]) }, at: [z])
      #expect(errors[0] < 3e-3, "\(normalizer): finite-difference error \(errors[0])")
    }
  }

  /// No anchor with a positive: 0, as the released code's NaN guard gives.
  @Test func noPositivesGiveZero() {
    var rng = RandomGenerator(seed: 2)
    let z = Tensor(randomNormal: [4, 3], using: &rng).l2Normalized(alongAxis: 1)
    #expect(FocalSupConLoss()(z, groups: [0, 1, 2, 3]).scalar == 0)
  }

  /// Groups are exact label vectors, for any number of classes.
  @Test func groupsFollowExactSoftLabels() {
    var targets = [Float](repeating: 0, count: 4 * 25)
    targets[24] = 1
    targets[25 + 24] = 1
    targets[50 + 3] = 0.3
    targets[50 + 24] = 0.7
    targets[75 + 3] = 0.3
    targets[75 + 24] = 0.70000005
    #expect(SoftLabelGroups.ids(targets, classes: 25) == [0, 0, 1, 2])
  }
}
