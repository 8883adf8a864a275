import Datasets
import Engine
import Foundation
import RunFormat
import TestSupport
import Testing
import Training

/// Tiny end-to-end fine-tuning runs (CE and Core-tuning) from a tiny pre-trained backbone.
@Suite(.serialized) struct FineTuningTests {
  static let digitsTrain = try! DatasetSource(.digits).load(.train)
  static let digitsTest = try! DatasetSource(.digits).load(.test)

  static func configuration(method: String, epochs: Int = 2, adversarial: AdversarialTrainingSettings? = nil)
    -> RunConfiguration
  {
    var configuration = TinyRun.configuration(method: "simclr", epochs: epochs, batchSize: 32, lr: 0.05)
    configuration.command = "finetune"
    configuration.method = method
    configuration.loss = nil
    configuration.data.recipe = "core-tuning"
    configuration.data.views = 1
    configuration.data.trainCount = 224
    configuration.model.headWidths = method == "core" ? [32, 16] : []
    configuration.model.classifier = .init(classes: 10, bias: false)
    configuration.optimization.stepsPerEpoch = 3
    configuration.fineTuning = FineTuningSettings(
      source: "test", sourceKind: "run", stripPrefix: nil, labelled: "all", validationCount: 32, accumulationSteps: 2,
      nesterov: true,
      core: method == "core"
        ? CoreTuningSettings(
          eta: 0.1, mixupAlpha: 1, negativeFloor: 0.8, hardPositive: "reference", detachOriginals: true,
          normalizer: "rows", temperature: 0.07, baseTemperature: 0.07) : nil,
      adversarial: adversarial)
    return configuration
  }

  static func trainer(_ configuration: RunConfiguration) throws -> Trainer {
    try Trainer(
      configuration: configuration,
      data: try TrainingData.splits(configuration, train: digitsTrain, test: digitsTest), threads: ThreadCount(2))
  }

  /// A pre-training run to start from.
  static func pretrained(in dir: TemporaryDirectory) throws -> Backbone {
    let configuration = TinyRun.configuration(epochs: 1)
    try TinyRun.trainer(configuration).train(writer: try RunWriter.create(at: dir.file("pre"), configuration: configuration))
    return try Backbone.load(dir.file("pre"))
  }

  @Test(arguments: ["ce", "core"]) func aFineTuningRunWritesItsFiles(method: String) throws {
    let dir = TemporaryDirectory()
    let backbone = try Self.pretrained(in: dir)
    let configuration = Self.configuration(method: method)
    let trainer = try Self.trainer(configuration)
    try trainer.load(backbone)
    #expect(trainer.model.encoder.stateDict()["layer1.0.conv1.weight"] == backbone.state["layer1.0.conv1.weight"])
    let summary = try trainer.train(writer: try RunWriter.create(at: dir.file("ft"), configuration: configuration))
    #expect(summary.steps == 6 && summary.bestValidationAccuracy != nil && summary.testAccuracy != nil)
    let run = try RunDirectory(dir.file("ft"))
    let metrics = try run.metricsFile.read().records
    #expect(metrics.filter { $0.values["val_accuracy"] != nil }.map(\.step) == [3, 6])
    #expect(metrics.filter { $0.values["test_accuracy"] != nil }.map(\.step) == [3, 6])
    if method == "core" {
      #expect(metrics.allSatisfy { $0.lossParts["ce"] != nil && $0.lossParts["con"] != nil })
      #expect(try run.scoresFile.read().records.count == metrics.count)
    } else {
      #expect(!run.scoresFile.exists)
    }
    #expect(try NPYArray.read(run.features("epoch-2").logits).shape == [60, 10])
    #expect(FileManager.default.fileExists(atPath: run.checkpoint("best")))
    let best = try Checkpoint.read(run.checkpoint("best"))
    #expect(best.metadata.bestValidationAccuracy == summary.bestValidationAccuracy)
    #expect(try best.buildModel().classifier != nil)
  }

  /// Core-tuning draws mixing coefficients every step: a run stopped after step 4 and
  /// resumed from its step-3 checkpoint reaches the same weights.
  @Test func coreTuningResumesBitIdentically() throws {
    let dir = TemporaryDirectory()
    let backbone = try Self.pretrained(in: dir)
    var configuration = Self.configuration(method: "core")
    configuration.logging.checkpointEvery = 3
    let whole = try Self.trainer(configuration)
    try whole.load(backbone)
    try whole.train(writer: try RunWriter.create(at: dir.file("whole"), configuration: configuration))
    let stopped = try Self.trainer(configuration)
    try stopped.load(backbone)
    #expect(throws: StopAt.Stopped.self) {
      try stopped.train(
        writer: try RunWriter.create(at: dir.file("resumed"), configuration: configuration), observers: [StopAt(step: 4)])
    }
    let (writer, saved, checkpoint) = try RunWriter.resume(at: dir.file("resumed"))
    let resumed = try Self.trainer(saved)
    try resumed.restore(from: try #require(checkpoint))
    try resumed.train(writer: writer)
    #expect(TinyRun.state(resumed.model) == TinyRun.state(whole.model))
    #expect(resumed.bestValidation?.step == whole.bestValidation?.step)
  }

  /// Adversarial training runs PGD on every batch and still learns finite weights.
  @Test func adversarialTrainingRuns() throws {
    let configuration = Self.configuration(
      method: "ce", epochs: 1, adversarial: AdversarialTrainingSettings(norm: "linf", eps: 8.0 / 255, steps: 2, stepSize: 4.0 / 255))
    let trainer = try Self.trainer(configuration)
    let summary = try trainer.train(writer: nil)
    #expect(summary.steps == 3 && (summary.finalLoss ?? .nan).isFinite)
  }

  @Test func aBackboneThatDoesNotFitIsAnErrorListingTheProblem() throws {
    let dir = TemporaryDirectory()
    var rng = RandomGenerator(seed: 0)
    let wide = ResNet(ResNetConfiguration(depth: .resnet18, stem: .cifar, width: 8, inChannels: 1, classes: 10), rng: &rng)
    try wide.saveWeights(to: dir.file("wide.safetensors"))
    let backbone = try Backbone.load(dir.file("wide.safetensors"))
    #expect(backbone.kind == "weights" && backbone.configuration == nil)
    let trainer = try Self.trainer(Self.configuration(method: "ce"))
    #expect(throws: FileError.self) { try trainer.load(backbone) }
    do {
      try trainer.load(backbone)
    } catch {
      #expect(error.problem.contains("the backbone does not fit the encoder: shape mismatches: conv1.weight"))
    }
    var partial = try SafeTensorsFile.read(dir.file("wide.safetensors"))
    partial.tensors = partial.tensors.filter { !$0.key.hasPrefix("layer4") }
    try partial.write(to: dir.file("partial.safetensors"))
    do {
      try trainer.load(try Backbone.load(dir.file("partial.safetensors")))
      Issue.record("a backbone without layer4 loaded")
    } catch {
      #expect(error.problem.contains("missing keys: layer4"))
    }
    #expect(throws: FileError(dir.file("none"), "no such run directory or weights file")) {
      try Backbone.load(dir.file("none"))
    }
    #expect(throws: FileError.self) { try Backbone.load(dir.file("wide.safetensors"), stripPrefix: "module.") }
  }
}
