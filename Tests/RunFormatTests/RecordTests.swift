import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

/// Every record of the run directory survives a write and a read unchanged, and reads
/// the keys DESIGN.md's table documents.
@Suite struct RecordTests {
  let directory = TemporaryDirectory()

  func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
    let path = directory.file("\(UUID().uuidString).json")
    try JSONOutput.write(value, to: path)
    return try JSONInput.read(T.self, from: path)
  }

  func keys(_ value: some Encodable) throws -> Set<String> {
    let data = try JSONOutput.encode(value, pretty: false)
    return Set((try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]).keys)
  }

  static let configuration = RunConfiguration(
    tool: "clens 0.2.0", command: "pretrain", method: "simclr", seed: 7, threads: 2,
    data: DataSettings(
      dataset: "fashion-mnist", dataDirectory: nil, limit: 512, trainCount: 512, evalSplit: "test", evalCount: 100,
      imageShape: [1, 28, 28], classNames: ["a", "b"], recipe: "simclr", views: 2),
    model: ModelArchitecture(
      encoder: ResNetConfiguration(
        depth: .resnet18, stem: .cifar, width: 16, inChannels: 1, classes: nil, normalization: ([0.286], [0.353])),
      headWidths: [128, 128]),
    optimization: OptimizationSettings(
      optimizer: "sgd", epochs: 5, batchSize: 256, stepsPerEpoch: 2, learningRate: 0.5, momentum: 0.9,
      weightDecay: 1e-4, excludeNormAndBias: false, warmupEpochs: 0, warmupFrom: 0.01, schedule: "cosine-epoch",
      minimumLearningRate: 5e-4),
    loss: LossSettings(temperature: 0.5, baseTemperature: 0.07, contrastMode: "all", usesLabels: false),
    logging: LoggingSettings(logEvery: 10, snapshotEvery: 1, checkpointEvery: 100, histogramBins: 40))

  @Test func configurationRoundTripsWithSnakeCaseKeys() throws {
    #expect(try roundTrip(Self.configuration) == Self.configuration)
    #expect(
      try keys(Self.configuration)
        == ["tool", "command", "method", "seed", "threads", "data", "model", "optimization", "loss", "logging"])
    #expect(try keys(Self.configuration.data).contains("class_names"))
    #expect(try keys(Self.configuration.model.encoder) == ["arch", "stem", "width", "in_channels", "normalization", "zero_init_residual"])
  }

  @Test func metricsKeepLossPartsAndOtherNumbers() throws {
    let record = MetricsRecord(
      step: 4, epoch: 0.5, loss: 1.25, learningRate: 0.1, accuracy: 0.5, imagesPerSecond: 300,
      lossParts: ["ce": 1], values: ["knn_accuracy": 0.7])
    #expect(try roundTrip(record) == record)
    #expect(try keys(record) == ["step", "epoch", "loss", "lr", "accuracy", "images_per_second", "loss_ce", "knn_accuracy"])
  }

  @Test func scoresWithHistogramsRoundTripAndBadHistogramsFail() throws {
    let statistics = ScoreStatistics(
      mean: 0.5, variance: 0.01, count: 8, histogram: ScoreHistogram(edges: [-1, 0, 1], counts: [2, 6]))
    let record = ScoreRecord(step: 10, epoch: 1, positive: statistics, negative: statistics)
    #expect(try roundTrip(record) == record)
    let path = directory.file("bad-scores.jsonl")
    try AtomicFile.write(
      Data(
        #"{"step": 1, "positive": {"mean": 0, "variance": 0, "count": 1, "histogram": {"edges": [0, 1], "counts": [1, 2]}}, "negative": {"mean": 0, "variance": 0, "count": 1}}"#
          .utf8), to: path)
    #expect(throws: FileError(path, "line 1: 2 counts need 3 edges at 'positive.histogram'")) {
      try RunFiles.readScores(path)
    }
  }

  @Test func analysisReportsRoundTrip() throws {
    var tsne = TSNEReport(klDivergence: 1.5, iterations: 750, perplexity: 30, n: 100, method: "exact")
    tsne.knnAccuracy = 0.9
    tsne.timings = TSNEReport.Timings(neighbors: 1, affinities: 2, initialization: 3, optimization: 4)
    #expect(try roundTrip(tsne) == tsne)
    var alignUniform = AlignUniformReport(uniformity: -3.1)
    alignUniform.perClassUniformity = ["0": -2]
    #expect(try roundTrip(alignUniform) == alignUniform)
    #expect(try !keys(alignUniform).contains("alignment"))
    let robustness = RobustnessReport(
      norm: .l2, attack: nil, n: 10, cleanAccuracy: 0.9, eps: [0, 0.5], robustAccuracy: [0.9, 0.4],
      robustAccuracyEnvelope: [0.9, 0.4], robustAccuracyCi95: [[0.6, 0.98], [0.17, 0.69]],
      perClassRobustAccuracy: [[0.9, nil], [0.4, nil]], perClassCleanAccuracy: [0.9, nil], classCounts: [10, 0],
      sanityChecks: [SanityCheck(name: "x", passed: true, severity: .error, detail: "d")])
    #expect(try roundTrip(robustness) == robustness)
    let index = CheckpointIndex(checkpoints: [.init(file: "last.safetensors", step: 3, epoch: 1.5)])
    #expect(try roundTrip(index) == index)
  }

  @Test func robustnessFilesMadeElsewhereNeedOnlyTheCurve() throws {
    let path = directory.file("robustness-linf.json")
    try AtomicFile.write(
      Data(#"{"norm": "linf", "clean_accuracy": 0.93, "eps": [0, 0.0039], "robust_accuracy": [0.93, 0.6]}"#.utf8),
      to: path)
    let report = try RunFiles.readRobustness(path)
    #expect(report.robustAccuracyEnvelope == [0.93, 0.6] && report.attack == nil && report.n == nil)
    let norm = directory.file("l1.json")
    try AtomicFile.write(Data(#"{"norm": "l1", "clean_accuracy": 0.9, "eps": [0], "robust_accuracy": [0.9]}"#.utf8), to: norm)
    #expect(throws: FileError(norm, "norm 'l1' is neither 'linf' nor 'l2' at 'norm'")) { try RunFiles.readRobustness(norm) }
  }

  @Test func runDirectoryReadsItsConfigurationAndClassNames() throws {
    let run = RunDirectory(unchecked: directory.file("run"))
    #expect(try run.configuration() == nil)
    try JSONOutput.write(Self.configuration, to: run.configurationFile)
    #expect(try run.classNames() == ["a", "b"])
    try run.features("epoch-10").write(features: [1, 2, 3, 4], rows: 2, labels: [0, 1], positives: nil)
    try run.features("epoch-2").write(features: [1, 2, 3, 4], rows: 2, labels: [0, 1], positives: [1, 2, 3, 4])
    #expect(run.featureTags == ["epoch-2", "epoch-10"])
    #expect(run.features("epoch-2").existingPositives != nil && run.features("epoch-10").existingPositives == nil)
  }
}
