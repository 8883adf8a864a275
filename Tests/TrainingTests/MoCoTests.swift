import Datasets
import Engine
import Foundation
import RunFormat
import TestSupport
import Testing
import Training

/// MoCo's loss with a queue, Feature Transformation and the key encoder's moving average
/// against PyTorch (scripts/fixtures/moco.py), with the same draws.
@Suite struct MoCoLossTests {
  struct Case: Decodable {
    var name: String
    var batch: Int
    var dim: Int
    var queue: Int
    var tau: Float
    var transform: String
    var extrapolate: Bool
  }

  struct File: Decodable {
    var cases: [Case]
    var ema_momentum: Float
  }

  static let file: File = try! JSONDecoder().decode(
    File.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("moco.json"))))
  static let tensors = try! SafeTensorsFile.read(Fixtures.path("moco.safetensors")).tensors

  @Test(arguments: file.cases.map(\.name)) func matchesPyTorch(name: String) throws {
    let c = try #require(Self.file.cases.first { $0.name == name })
    let t = Self.tensors
    let p = name + "."
    let query = try #require(t[p + "query"]).tensor.requiringGradient()
    var (q, k, n) = (query, try #require(t[p + "key"]).tensor, try #require(t[p + "queue"]).tensor)
    if c.transform != "none" {
      let draws = FeatureTransformation.Draws(
        lambda: try #require(t[p + "lam"]).floats(), mu: try #require(t[p + "mu"]).floats(),
        permutation: try #require(t[p + "permutation"]).floats().map { Int($0) })
      (q, k, n) = FeatureTransformation(extrapolate: c.extrapolate).apply(query: q, key: k, queue: n, draws: draws)
    }
    let (loss, logits) = QueueInfoNCE(temperature: c.tau)(query: q, key: k, queue: n)
    let expected = try #require(t[p + "loss"]).floats()[0]
    #expect(abs(loss.scalar - expected) <= 1e-4 * max(1, abs(expected)), "\(name): \(loss.scalar) vs \(expected)")
    #expect(maxRelativeError(logits.scalars, try #require(t[p + "logits"]).floats()) < 1e-4)
    let gradient = gradients(of: loss, wrt: [query])[0].scalars
    #expect(maxNormalizedError(gradient, try #require(t[p + "grad"]).floats()) < 1e-4)
  }

  @Test func movingAverageMatchesPyTorch() throws {
    var rng = RandomGenerator(seed: 0)
    let key = Linear(inFeatures: 20, outFeatures: 1, bias: false, rng: &rng)
    let query = Linear(inFeatures: 20, outFeatures: 1, bias: false, rng: &rng)
    key.weight.assign(Tensor(shape: [1, 20], scalars: try #require(Self.tensors["ema.key"]).floats()))
    query.weight.assign(Tensor(shape: [1, 20], scalars: try #require(Self.tensors["ema.query"]).floats()))
    key.updateMovingAverage(toward: query, momentum: Self.file.ema_momentum)
    #expect(maxRelativeError(key.weight.value.scalars, try #require(Self.tensors["ema.result"]).floats()) < 1e-6)
  }

  /// The FT notebook's "neg_var": each query's unbiased variance over its negatives,
  /// averaged over queries (rows 0, 1, 2 and 0, 0, 3: variances 1 and 3).
  @Test func anchorVarianceIsTheMeanOfEachQuerysVariance() throws {
    let scores = PairScores(positives: [0.5, 0.7], negatives: [0, 1, 2, 0, 0, 3], negativesPerAnchor: 3, accuracy: 1, bins: 4)
    #expect(scores.negative.anchorVariance == 2)
    #expect(abs(scores.negative.variance - 1.6) < 1e-12)
  }

  /// Only what is used is drawn: a scalar λ and μ unless per-element ones are asked for.
  @Test func drawsHaveTheShapesTheModeNeeds() {
    var rng = RandomGenerator(seed: 1)
    let scalar = FeatureTransformation().draw(batch: 4, dimension: 3, queueSize: 10, using: &rng)
    #expect(scalar.lambda.count == 1 && scalar.mu.count == 1 && scalar.permutation.sorted() == Array(0..<10))
    #expect(scalar.lambda[0] >= 1 && scalar.lambda[0] <= 2)
    let both = FeatureTransformation(perElement: .both).draw(batch: 4, dimension: 3, queueSize: 10, using: &rng)
    #expect(both.lambda.count == 12 && both.mu.count == 30)
  }
}

/// A tiny MoCo run: the queue fills with keys, the key encoder moves, and a run stopped
/// and resumed reaches the same weights, queue and key encoder.
@Suite struct MoCoTrainingTests {
  static func configuration(featureTransform: Bool) -> RunConfiguration {
    var configuration = TinyRun.configuration(method: "simclr", epochs: 2)
    configuration.method = "moco"
    configuration.data.recipe = "moco-v2"
    configuration.loss = LossSettings(temperature: 0.2, baseTemperature: 0.2, contrastMode: "all", usesLabels: false)
    configuration.moco = MoCoSettings(
      queueSize: 96, momentum: 0.99, shuffleGroups: 2,
      featureTransform: featureTransform
        ? FeatureTransformSettings(positiveAlpha: 2, negativeAlpha: 1.6, extrapolate: true, perElement: "none") : nil)
    return configuration
  }

  @Test(arguments: [false, true]) func aRunLogsQueueScoresAndResumesExactly(featureTransform: Bool) throws {
    let dir = TemporaryDirectory()
    var configuration = Self.configuration(featureTransform: featureTransform)
    configuration.logging.checkpointEvery = 3
    let whole = try TinyRun.trainer(configuration)
    try whole.train(writer: try RunWriter.create(at: dir.file("whole"), configuration: configuration))
    let scores = try RunDirectory(dir.file("whole")).scoresFile.read().records
    // 64 queries per step, each against the 96 queue keys.
    #expect(scores.allSatisfy { $0.positive.count == 64 && $0.negative.count == 64 * 96 && $0.expNegativeMean != nil })
    #expect(scores.allSatisfy { ($0.positiveUntransformed != nil) == featureTransform })
    #expect(scores.allSatisfy { ($0.negative.anchorVariance ?? -1) > 0 })
    let method = try #require(whole.method as? MoCoMethod)
    #expect(method.pointer == (8 * 64) % 96)
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
    let resumedMethod = try #require(resumed.method as? MoCoMethod)
    #expect(resumedMethod.queue == method.queue && resumedMethod.pointer == method.pointer)
    #expect(TinyRun.state(try #require(resumedMethod.keyEncoder.network)) == TinyRun.state(try #require(method.keyEncoder.network)))
  }

  /// With a start epoch, the first epoch is plain MoCo and Feature Transformation takes
  /// over at the start epoch, also in a run resumed before it.
  @Test func featureTransformationStartsAtItsEpoch() throws {
    let dir = TemporaryDirectory()
    var configuration = Self.configuration(featureTransform: true)
    configuration.moco?.featureTransform?.startEpoch = 1
    configuration.logging.checkpointEvery = 1
    let perEpoch = configuration.optimization.stepsPerEpoch
    let whole = try TinyRun.trainer(configuration)
    try whole.train(writer: try RunWriter.create(at: dir.file("whole"), configuration: configuration))
    let scores = try RunDirectory(dir.file("whole")).scoresFile.read().records
    #expect(scores.contains { $0.step <= perEpoch } && scores.contains { $0.step > perEpoch })
    #expect(scores.allSatisfy { ($0.positiveUntransformed != nil) == ($0.step > perEpoch) })
    let stopped = try TinyRun.trainer(configuration)
    #expect(throws: StopAt.Stopped.self) {
      try stopped.train(
        writer: try RunWriter.create(at: dir.file("resumed"), configuration: configuration), observers: [StopAt(step: 2)])
    }
    let (writer, saved, checkpoint) = try RunWriter.resume(at: dir.file("resumed"))
    #expect(saved.moco?.featureTransform?.startEpoch == 1)
    let resumed = try TinyRun.trainer(saved)
    try resumed.restore(from: try #require(checkpoint))
    try resumed.train(writer: writer)
    #expect(TinyRun.state(resumed.model) == TinyRun.state(whole.model))
  }
}
