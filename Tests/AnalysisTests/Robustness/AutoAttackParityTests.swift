@testable import Analysis
import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

/// The fixture folder written by scripts/fixtures/autoattack.py.
func autoAttackFixture(_ name: String) throws -> String {
  let folder = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/autoattack")
  return folder.appendingPathComponent(name).path
}

/// Parity with torchattacks 3.5.1's AutoAttack parts (`APGD` with the DLR loss, `APGDT`,
/// `FAB`, `Square`) on the 200 Fashion-MNIST images and the two models of the PGD
/// fixtures: the losses and FAB's projections entry by entry, each attack's verdicts, and
/// AutoAttack's standard evaluation stage by stage. The random starts come from the same
/// RandomGenerator streams (the fixture script patches them into torch's samplers).
@Suite struct AutoAttackParityTests {
  struct Reference: Decodable {
    struct Model: Decodable {
      var linf: Double
      var l2: Double
      var clean_accuracy: Double
    }
    var mlp: Model
    var resnet: Model
    var steps: Int
    var targets: Int
    var seed: UInt64
    var k: Int
    var square_queries: [String: Int]
  }

  struct StageReference: Decodable {
    struct Stage: Decodable {
      var name: String
      var robust_accuracy: Double
      var fooled: Int
    }
    var eps: Double
    var clean_accuracy: Double
    var stages: [Stage]
  }

  static func reference() throws -> Reference {
    try JSONDecoder().decode(
      Reference.self, from: Data(contentsOf: URL(fileURLWithPath: try autoAttackFixture("autoattack.json"))))
  }

  static func floats(_ name: String) throws -> [Float] { try NPYArray.read(autoAttackFixture(name)).floats() }
  static func integers(_ name: String) throws -> [Int] {
    try #require(try NPYArray.read(autoAttackFixture(name)).integers())
  }

  /// DLR and targeted DLR (towards the 2nd and 4th largest logit) and their logit
  /// gradients, against torchattacks' `dlr_loss` / `dlr_loss_targeted` under autograd.
  @Test func dlrLossesMatchTorchattacks() throws {
    let logits = try Self.floats("dlr_logits.npy")
    let labels = try Self.integers("dlr_labels.npy")
    let loss = DLRLoss(logits: logits, labels: labels, classCount: 10)
    #expect(maxRelativeError(loss.losses.map(Float.init), try Self.floats("dlr_loss.npy")) < 1e-5)
    #expect(maxRelativeError(loss.logitGradient, try Self.floats("dlr_grad.npy")) < 1e-5)
    for rank in [2, 4] {
      let targets = try Self.integers("dlr_t\(rank)_target.npy")
      #expect(AttackMath.rankedClasses(logits, classCount: 10, rank: rank) == targets)
      let targeted = DLRLoss(logits: logits, labels: labels, targets: targets, classCount: 10)
      #expect(maxRelativeError(targeted.losses.map(Float.init), try Self.floats("dlr_t\(rank)_loss.npy")) < 1e-5)
      #expect(maxRelativeError(targeted.logitGradient, try Self.floats("dlr_t\(rank)_grad.npy")) < 1e-5)
    }
  }

  /// FAB's l-inf and l2 projections onto a hyperplane within the box, row by row.
  @Test func fabProjectionsMatchTorchattacks() throws {
    let points = try Self.floats("proj_points.npy").map(Double.init)
    let w = try Self.floats("proj_w.npy").map(Double.init)
    let b = try Self.floats("proj_b.npy").map(Double.init)
    let rows = b.count
    let n = points.count / rows
    for (norm, file) in [(PerturbationNorm.linf, "proj_linf.npy"), (.l2, "proj_l2.npy")] {
      let expected = try Self.floats(file)
      var actual = [Float]()
      for row in 0..<rows {
        let t = Array(points[row * n..<(row + 1) * n])
        let wr = Array(w[row * n..<(row + 1) * n])
        let d =
          norm == .linf ? FABProjection.linf(point: t, w: wr, b: b[row]) : FABProjection.l2(point: t, w: wr, b: b[row])
        actual += d.map(Float.init)
      }
      #expect(maxAbsoluteDifference(actual, expected) < 1e-5, "\(norm)")
    }
  }

  static func model(_ tag: String) throws -> (any AttackableClassifier, Reference.Model) {
    let reference = try Self.reference()
    if tag == "mlp" {
      let pgd = try TorchattacksParityTests.reference("mlp")
      return (try FixtureMLP(mean: Float(pgd.mean), std: Float(pgd.std)), reference.mlp)
    }
    return (try TorchattacksParityTests.resnet(TorchattacksParityTests.reference("resnet")), reference.resnet)
  }

  /// Indices the model classifies correctly (torchattacks attacks only those).
  static func correct(_ model: some AttackableClassifier, _ images: [Float], _ labels: [Int]) -> [Int] {
    let z = model.logits(images, count: labels.count)
    return labels.indices.filter { i in AttackMath.predictions(Array(z[i * 10..<(i + 1) * 10]), classCount: 10)[0] == labels[i] }
  }

  static let attacks = ["apgd_dlr", "apgd_t", "fab", "fab_t"]

  /// Each attack alone on the examples the model gets right: the same verdicts (one
  /// example may part on a knife edge) and the same adversarial images of the first k.
  /// DLR pushes iterates along the decision boundary, so whether one iterate is
  /// misclassified can turn on rounding, and the last misclassified iterate (the one
  /// returned) may then be a neighbouring one: up to two of the k images may differ by a
  /// few thousandths for APGD-DLR (one for the others).
  @Test(arguments: ["mlp", "resnet"], ["linf", "l2"])
  func attacksMatchTorchattacks(tag: String, normName: String) throws {
    let reference = try Self.reference()
    let (model, settings) = try Self.model(tag)
    let norm = try #require(PerturbationNorm(rawValue: normName))
    let epsilon = Float(norm == .linf ? settings.linf : settings.l2)
    let (images, labels) = try TorchattacksParityTests.data()
    let n = 784
    let correct = Self.correct(model, images, labels)
    let root = RandomGenerator(seed: reference.seed)
    for name in Self.attacks {
      let attack: any AdversarialAttack =
        switch name {
        case "apgd_dlr": APGD(norm: norm, epsilon: epsilon, steps: reference.steps, loss: .dlr)
        case "apgd_t": APGDTargeted(norm: norm, epsilon: epsilon, steps: reference.steps, targets: reference.targets)
        case "fab": FAB(norm: norm, epsilon: epsilon, steps: reference.steps)
        default: FABTargeted(norm: norm, epsilon: epsilon, steps: reference.steps, targets: reference.targets)
        }
      let run = attack.run(
        on: model, images: correct.flatMap { Array(images[$0 * n..<($0 + 1) * n]) },
        labels: correct.map { labels[$0] }, randomness: correct.map { root.stream(UInt64($0)) })
      var fooled = labels.indices.map { !correct.contains($0) }
      var adversarial = images
      for (k, i) in correct.enumerated() where run.fooled[k] {
        fooled[i] = true
        for j in 0..<n { adversarial[i * n + j] = run.adversarial[k * n + j] }
      }
      let expected = try NPYArray.read(autoAttackFixture("\(tag)_\(name)_\(normName)_fooled.npy")).bytes.map { $0 != 0 }
      let disagreements = zip(fooled, expected).filter { $0 != $1 }.count
      #expect(disagreements <= 1, "\(name): \(disagreements) examples disagree")
      #expect(expected.contains(true) && expected.contains(false), "\(name): a fixture that cannot fail")
      let expectedImages = try Self.floats("\(tag)_\(name)_\(normName)_adv.npy")
      let differences = (0..<reference.k).map { e in
        maxAbsoluteDifference(Array(adversarial[e * n..<(e + 1) * n]), Array(expectedImages[e * n..<(e + 1) * n]))
      }
      let diverged = differences.indices.filter { differences[$0] > 1e-3 }
      #expect(
        diverged.count <= (name == "apgd_dlr" ? 2 : 1) && differences.allSatisfy { $0 < 0.01 },
        "\(name): examples \(diverged) differ by more than 1e-3: \(differences)")
    }
  }

  /// AutoAttack standard stage by stage: robust accuracy after APGD-CE, APGD-T, FAB-T and
  /// Square within one example of 200, and the same stage breaking each example.
  @Test(arguments: ["mlp", "resnet"], ["linf", "l2"])
  func autoAttackMatchesTorchattacksStageByStage(tag: String, normName: String) throws {
    let reference = try Self.reference()
    let (model, settings) = try Self.model(tag)
    let norm = try #require(PerturbationNorm(rawValue: normName))
    let stagesReference = try JSONDecoder().decode(
      StageReference.self,
      from: Data(contentsOf: URL(fileURLWithPath: try autoAttackFixture("aa_\(tag)_\(normName).json"))))
    let epsilon = Float(norm == .linf ? settings.linf : settings.l2)
    #expect(Double(epsilon) == Double(Float(stagesReference.eps)))
    let (images, labels) = try TorchattacksParityTests.data()
    let n = 784
    let correct = Self.correct(model, images, labels)
    let attack = AutoAttack(
      norm: norm, epsilon: epsilon, steps: reference.steps, targets: reference.targets,
      queries: try #require(reference.square_queries[tag]), imageShape: ImageShape(channels: 1, height: 28, width: 28))
    let root = RandomGenerator(seed: reference.seed)
    let run = attack.run(
      on: model, images: correct.flatMap { Array(images[$0 * n..<($0 + 1) * n]) },
      labels: correct.map { labels[$0] }, randomness: correct.map { root.stream(UInt64($0)) })
    #expect(run.stages.map(\.name) == stagesReference.stages.map(\.name))
    var survivors = correct.count
    for (stage, expected) in zip(run.stages, stagesReference.stages) {
      survivors -= stage.fooled
      let robust = Double(survivors) / Double(labels.count)
      #expect(
        abs(robust - expected.robust_accuracy) <= 1.0 / 200 + 1e-9,
        "\(stage.name): \(robust) vs torchattacks \(expected.robust_accuracy)")
    }
    var brokenBy = [Int](repeating: -2, count: labels.count)
    for (k, i) in correct.enumerated() { brokenBy[i] = run.brokenBy[k] ?? -1 }
    let expected = try Self.integers("aa_\(tag)_\(normName)_broken_by.npy")
    let disagreements = zip(brokenBy, expected).filter { $0 != $1 }.count
    #expect(disagreements <= 1, "\(disagreements) examples broken by another stage: \(brokenBy) vs \(expected)")
    #expect(stagesReference.stages.dropFirst().contains { $0.fooled > 0 }, "only APGD-CE breaks anything")
  }
}
