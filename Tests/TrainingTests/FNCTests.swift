import Datasets
import Engine
import Foundation
import RunFormat
import TestSupport
import Testing
import Training

/// False Negative Cancellation's detection and loss, with and without a memory, against
/// PyTorch (scripts/fixtures/fnc.py).
@Suite struct FNCLossTests {
  struct Case: Decodable {
    var name: String
    var batch: Int
    var views: Int
    var dim: Int
    var memory: Int
    var tau: Float
    var top_k: Int
    var threshold: Float
    var strategy: String
    var aggregation: String
  }

  struct File: Decodable { var cases: [Case] }

  static let file: File = try! JSONDecoder().decode(
    File.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("fnc.json"))))
  static let tensors = try! SafeTensorsFile.read(Fixtures.path("fnc.safetensors")).tensors

  @Test(arguments: file.cases.map(\.name)) func matchesPyTorch(name: String) throws {
    let c = try #require(Self.file.cases.first { $0.name == name })
    let t = Self.tensors
    let p = name + "."
    let fnc = FalseNegativeCancellation(
      temperature: c.tau, topK: c.top_k, threshold: c.threshold,
      strategy: try #require(.init(rawValue: c.strategy)), aggregation: try #require(.init(rawValue: c.aggregation)))
    let anchors = try #require(t[p + "anchors"]).tensor.requiringGradient()
    var contrast = anchors
    var detectors = anchors
    if c.memory > 0 {
      detectors = try #require(t[p + "ema"]).tensor
      contrast = Tensor.concatenate([detectors, try #require(t[p + "older"]).tensor], alongAxis: 0)
    }
    let detected = fnc.detect(detectors, contrast: contrast, views: c.views)
    let m = contrast.shape[0]
    var mask = [Float](repeating: 0, count: c.batch * m)
    for (i, rows) in detected.enumerated() { for r in rows { mask[i * m + r] = 1 } }
    #expect(mask == (try #require(t[p + "detected"]).floats()), "\(name): detected false negatives differ")
    let loss = fnc.loss(anchors, contrast: contrast, views: c.views, falseNegatives: detected)
    let expected = try #require(t[p + "loss"]).floats()[0]
    #expect(abs(loss.scalar - expected) <= 1e-4 * max(1, abs(expected)), "\(name): \(loss.scalar) vs \(expected)")
    let gradient = gradients(of: loss, wrt: [anchors])[0].scalars
    #expect(maxNormalizedError(gradient, try #require(t[p + "grad"]).floats()) < 1e-4)
  }

  /// With two views and nothing detected, FNC is SimCLR's NT-Xent summed over both
  /// directions: SupConLoss without labels at τ_b = τ, times two.
  @Test func withoutFalseNegativesItIsNTXent() throws {
    var rng = RandomGenerator(seed: 3)
    let rows = Tensor(shape: [12, 5], scalars: (0..<60).map { _ in Float(rng.normal()) }).l2Normalized(alongAxis: 1)
    let fnc = FalseNegativeCancellation(temperature: 0.3, threshold: 2)
    let detected = fnc.detect(rows, contrast: rows, views: 2)
    #expect(detected.allSatisfy { $0.isEmpty })
    let ours = fnc.loss(rows, contrast: rows, views: 2, falseNegatives: detected).scalar
    let supcon = SupConLoss(temperature: 0.3, baseTemperature: 0.3, contrastMode: .all)
    let reference = supcon.loss(rows, pairs: supcon.pairs(batch: 6, views: 2, positives: .instances)).scalar * 2
    #expect(abs(ours - reference) <= 1e-5 * abs(reference), "\(ours) vs \(reference)")
  }
}

/// Tiny FNC runs: detection statistics are logged, and a run with a memory stopped and
/// resumed reaches the same weights, memory and EMA model.
@Suite struct FNCTrainingTests {
  static func configuration(memoryMultiplier: Int) -> RunConfiguration {
    var configuration = TinyRun.configuration(method: "simclr", epochs: 2)
    configuration.method = "fnc"
    configuration.data.recipe = "fnc"
    configuration.data.views = 3
    configuration.loss = LossSettings(temperature: 0.1, baseTemperature: 0.1, contrastMode: "all", usesLabels: false)
    configuration.fnc = FNCSettings(
      topK: 5, threshold: 0.5, strategy: "attraction", aggregation: "max", memoryMultiplier: memoryMultiplier,
      emaDecay: 0.99)
    return configuration
  }

  @Test func aRunWithoutMemoryLogsDetection() throws {
    let dir = TemporaryDirectory()
    let configuration = Self.configuration(memoryMultiplier: 0)
    let trainer = try TinyRun.trainer(configuration)
    try trainer.train(writer: try RunWriter.create(at: dir.file("run"), configuration: configuration))
    let run = try RunDirectory(dir.file("run"))
    let metrics = try run.metricsFile.read().records.filter { $0.loss.isFinite }
    #expect(!metrics.isEmpty && metrics.allSatisfy { $0.values["fnc_found_per_image"] != nil && $0.values["fnc_recall"] != nil })
    // 3 views of 64 images: each of 192 anchors against its 2 other views and 189 others.
    let scores = try run.scoresFile.read().records
    #expect(scores.allSatisfy { $0.positive.count == 192 * 2 && $0.negative.count == 192 * 189 })
  }

  @Test func aRunWithMemoryResumesExactly() throws {
    let dir = TemporaryDirectory()
    var configuration = Self.configuration(memoryMultiplier: 4)
    configuration.logging.checkpointEvery = 3
    let whole = try TinyRun.trainer(configuration)
    try whole.train(writer: try RunWriter.create(at: dir.file("whole"), configuration: configuration))
    let method = try #require(whole.method as? FNCMethod)
    #expect(method.memorySize == 256 && method.memoryLabels.allSatisfy { $0 >= 0 })
    let scores = try RunDirectory(dir.file("whole")).scoresFile.read().records
    #expect(scores.allSatisfy { $0.positive.count == 192 * 2 && $0.negative.count == 192 * (256 - 3) })
    let stopped = try TinyRun.trainer(configuration)
    #expect(throws: StopAt.Stopped.self) {
      try stopped.train(
        writer: try RunWriter.create(at: dir.file("resumed"), configuration: configuration), observers: [StopAt(step: 5)])
    }
    let (writer, saved, checkpoint) = try RunWriter.resume(at: dir.file("resumed"))
    let resumed = try TinyRun.trainer(saved)
    try resumed.restore(from: try #require(checkpoint))
    try resumed.train(writer: writer)
    #expect(TinyRun.state(resumed.model) == TinyRun.state(whole.model))
    let resumedMethod = try #require(resumed.method as? FNCMethod)
    #expect(resumedMethod.memory == method.memory && resumedMethod.memoryLabels == method.memoryLabels)
    let ema = try #require(method.emaModel?.network)
    #expect(TinyRun.state(try #require(resumedMethod.emaModel?.network)) == TinyRun.state(ema))
  }

  @Test func aMemoryTooSmallForTheViewsIsRejected() {
    var configuration = Self.configuration(memoryMultiplier: 2)
    configuration.data.views = 3
    #expect(throws: TrainingSetup.InvalidConfiguration.self) { try TrainingSetup.method(configuration) }
  }
}
