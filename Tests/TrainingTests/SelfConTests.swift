import Analysis
import Datasets
import Engine
import Foundation
import RunFormat
import TestSupport
import Testing
import Training

/// SelfCon's loss over the exits against PyTorch (scripts/fixtures/selfcon.py).
@Suite struct SelfConLossTests {
  struct Case: Decodable {
    var name: String
    var batch: Int
    var dim: Int
    var temperature: Float
    var base_temperature: Float
    var labels: Bool
  }

  struct File: Decodable { var cases: [Case] }

  static let file: File = try! JSONDecoder().decode(
    File.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("selfcon.json"))))
  static let tensors = try! SafeTensorsFile.read(Fixtures.path("selfcon.safetensors")).tensors

  @Test(arguments: file.cases.map(\.name)) func matchesPyTorch(name: String) throws {
    let c = try #require(Self.file.cases.first { $0.name == name })
    let t = Self.tensors
    let p = name + "."
    let sub = try #require(t[p + "sub"]).tensor.requiringGradient()
    let backbone = try #require(t[p + "backbone"]).tensor.requiringGradient()
    let labels = try #require(t[p + "labels"]).floats().map { Int($0) }
    let method = SelfConMethod(
      usesLabels: c.labels, loss: SupConLoss(temperature: c.temperature, baseTemperature: c.base_temperature))
    let loss = method.loss(exits: [sub, backbone], labels: labels).loss
    let expected = try #require(t[p + "loss"]).floats()[0]
    #expect(abs(loss.scalar - expected) <= 1e-4 * max(1, abs(expected)), "\(name): \(loss.scalar) vs \(expected)")
    let grads = gradients(of: loss, wrt: [sub, backbone])
    #expect(maxNormalizedError(grads[0].scalars, try #require(t[p + "grad_sub"]).floats()) < 1e-4)
    #expect(maxNormalizedError(grads[1].scalars, try #require(t[p + "grad_backbone"]).floats()) < 1e-4)
  }
}

/// SelfCon's multi-exit network and a tiny SelfCon run.
@Suite struct SelfConTests {
  static func architecture(stage: Int, size: String) -> ModelArchitecture {
    ModelArchitecture(
      encoder: ResNetConfiguration(
        depth: .resnet18, stem: .cifar, width: 4, inChannels: 1, classes: nil, normalization: ([0.3], [0.4])),
      headWidths: [32, 16], exit: .init(stage: stage, size: size))
  }

  /// The sub-network's parameters are SelfCon's: `fc` maps the stage's channels to the
  /// feature width; `small` copies the remaining stages with ⌊n/2⌋ blocks, `same` with n.
  @Test(arguments: [(2, "fc"), (1, "small"), (2, "same"), (3, "small")])
  func exitHasSelfConsLayers(stage: Int, size: String) {
    var rng = RandomGenerator(seed: 0)
    let model = Network(Self.architecture(stage: stage, size: size), rng: &rng)
    let names = Set(model.stateDict().keys.filter { $0.hasPrefix("exit.") })
    switch size {
    case "fc":
      #expect(model.stateDict()["exit.fc.weight"]?.shape == [32, 4 << (stage - 1)])
      #expect(names == ["exit.fc.weight", "exit.fc.bias"])
    default:
      let copied = (stage + 1)...4
      let blocks = size == "small" ? 1 : 2
      #expect(Set(names.map { $0.split(separator: ".")[1] }) == Set(copied.map { "layer\($0)" }))
      for layer in copied {
        #expect(names.contains("exit.layer\(layer).\(blocks - 1).conv1.weight"))
        #expect(!names.contains("exit.layer\(layer).\(blocks).conv1.weight"))
      }
    }
    let exits = model.forwardExits(Tensor(shape: [3, 1, 8, 8], scalars: (0..<192).map { Float($0 % 7) / 7 }))
    #expect(exits.features.map(\.shape) == [[3, 32], [3, 32]])
    #expect(exits.embeddings.map(\.shape) == [[3, 16], [3, 16]])
    for embedding in exits.embeddings {
      let norms = (embedding * embedding).sum(alongAxes: [1]).scalars
      #expect(norms.allSatisfy { abs($0 - 1) < 1e-5 })
    }
  }

  /// One view, two exits: with labels every anchor's positives are its other exit and
  /// every same-class sample at both exits; without, only its other exit.
  @Test(arguments: [true, false]) func aRunContrastsTheExits(usesLabels: Bool) throws {
    let dir = TemporaryDirectory()
    var configuration = TinyRun.configuration(method: "supcon", epochs: 1)
    configuration.method = "selfcon"
    configuration.data.recipe = "selfcon"
    configuration.data.views = 1
    configuration.model.exit = .init(stage: 2, size: "fc")
    configuration.loss?.usesLabels = usesLabels
    let trainer = try TinyRun.trainer(configuration)
    #expect(trainer.method.name == (usesLabels ? "selfcon" : "selfcon-su"))
    try trainer.train(writer: try RunWriter.create(at: dir.file("run"), configuration: configuration))
    let scores = try RunDirectory(dir.file("run")).scoresFile.read().records
    #expect(!scores.isEmpty)
    for record in scores {
      #expect(record.positive.count + record.negative.count == 128 * 127)
      if usesLabels { #expect(record.positive.count > 128) } else { #expect(record.positive.count == 128) }
      #expect(record.positive.mean.isFinite && record.negative.mean.isFinite)
      // Per exit: each exit's 64 anchors against all 128 embeddings; together, the whole.
      let exits = try #require(record.exits)
      #expect(exits.map(\.exit) == ["sub", "backbone"])
      #expect(exits.allSatisfy { $0.positive.count + $0.negative.count == 64 * 127 })
      #expect(exits.map(\.positive.count).reduce(0, +) == record.positive.count)
    }
  }
}

/// Linear evaluation of a two-exit encoder: the sub head is a probe on the sub-exit's
/// features, the ensemble the mean of the two probes' logits.
@Suite struct LinearEvaluationTests {
  static func split(count: Int, rng: inout RandomGenerator) -> FrozenFeatures.Split {
    let labels = (0..<count).map { $0 % 3 }
    // The backbone separates class 0, the sub-exit class 2; each is noise for the rest.
    func features(_ informative: Int) -> FeatureMatrix {
      FeatureMatrix(
        rows: count, columns: 4,
        values: labels.flatMap { label in
          (0..<4).map { column in Float(rng.normal()) + (column == 0 && label == informative ? 2.5 : 0) }
        })
    }
    return FrozenFeatures.Split(features: features(0), labels: labels, exitFeatures: features(2))
  }

  @Test func ensembleAveragesTheTwoProbesLogits() throws {
    var rng = RandomGenerator(seed: 4)
    let train = Self.split(count: 300, rng: &rng)
    let validation = Self.split(count: 90, rng: &rng)
    let test = Self.split(count: 150, rng: &rng)
    let evaluation = try LinearEvaluation(FrozenFeatures(train: train, validation: validation, test: test), l2: [1e-3, 1e-1])
    #expect(evaluation.heads.map(\.name) == ["backbone", "sub", "ensemble"])
    for (index, l2) in [1e-3, 1e-1].enumerated() {
      let backbone = try LinearProbe(fitting: train.features, labels: train.labels, l2: l2)
      let sub = try LinearProbe(fitting: try #require(train.exitFeatures), labels: train.labels, l2: l2)
      let testExit = try #require(test.exitFeatures)
      #expect(evaluation.heads[0].testAccuracy[index] == backbone.accuracy(test.features, labels: test.labels))
      #expect(evaluation.heads[1].testAccuracy[index] == sub.accuracy(testExit, labels: test.labels))
      let a = backbone.logits(test.features)
      let b = sub.logits(testExit)
      var correct = 0
      for row in 0..<150 {
        let mean = (0..<3).map { (a[row * 3 + $0] + b[row * 3 + $0]) / 2 }
        if mean.indices.max(by: { mean[$0] < mean[$1] }) == test.labels[row] { correct += 1 }
      }
      #expect(evaluation.heads[2].testAccuracy[index] == Double(correct) / 150)
    }
    // Each exit tells one class apart; together they tell all three.
    #expect(evaluation.heads[2].testAccuracy.max()! > evaluation.heads[0].testAccuracy.max()! + 0.05)
    #expect(evaluation.heads[2].testAccuracy.max()! > evaluation.heads[1].testAccuracy.max()! + 0.05)
  }
}
