import Analysis
import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat
import Training

/// The images an evaluation reads: the training split (its `--limit` sample) less a
/// validation split, cut to `--labelled`, and the test split.
struct EvaluationDataOptions: ParsableArguments {
  @OptionGroup(title: "Data (default: the run's dataset, else Fashion-MNIST)") var data: DatasetOptions

  @Option(help: "Labelled training images: all, a percentage (1%, 10%) or N per class. (default: all)")
  var labelled: LabelSubset?

  @Option(help: "Fraction of the training split held out for validation (model selection). (default: 0.1)")
  var validationFraction: Double = 0.1

  func validate() throws {
    if data.split != nil { throw ValidationError("--split does not apply: evaluation reads train and test") }
    if !(validationFraction >= 0 && validationFraction < 1) {
      throw ValidationError("--validation-fraction must be in [0, 1), got \(validationFraction)")
    }
  }

  /// The splits, from the run's dataset when the backbone is a run and no `--dataset` is given.
  func splits(backbone: Backbone, seed: UInt64, threads: ThreadCount) throws -> (TrainingData.Splits, DatasetKind) {
    let source = try data.source(for: backbone)
    let kind = source.kind
    let train = TrainingData.sample(try source.load(.train, threads: threads), count: data.limit ?? .max, seed: seed)
    let carved = TrainingData.carve(train, validation: Int((Double(train.count) * validationFraction).rounded()), seed: seed)
    let labelledTrain = carved.rest.subset(carved.rest.labelledIndices(labelled ?? .all, seed: seed))
    return (
      TrainingData.Splits(train: labelledTrain, validation: carved.validation, heldOut: try source.load(.test, threads: threads)),
      kind
    )
  }
}

/// `clens linear-eval`: logistic regression on a frozen encoder's features.
struct LinearEvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "linear-eval",
    abstract: "Linear evaluation of a frozen encoder: logistic regression on its features, chosen on validation.",
    discussion: """
      Computes the encoder's pooled features of the training, validation and test images once \
      (evaluation mode, no augmentation), fits a multinomial logistic regression (L-BFGS on \
      standardised features) for each L2 penalty of --l2, selects the penalty with the best \
      validation accuracy and reports its test accuracy. The best test accuracy over the grid is \
      printed beside it, labelled as selected on test. A SelfCon encoder also gets a probe on its \
      sub-network's features and their ensemble (the mean of both probes' logits), as SelfCon \
      evaluates. With a run as --from the report goes to analysis/linear-eval.json of the run.
      """)

  @OptionGroup(title: "Encoder") var backbone: BackboneOptions
  @OptionGroup var evaluation: EvaluationDataOptions

  @Option(help: "L2 penalties to try, comma-separated.")
  var l2: String = "1e-6,1e-5,1e-4,1e-3,1e-2"

  @Option(help: "Images per forward pass.")
  var batchSize: Int = 256

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if backbone.source == nil { throw ValidationError("--from is needed: a run directory, a checkpoint or safetensors weights") }
    if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    _ = try penalties()
  }

  private func penalties() throws -> [Double] {
    let values = splitList([l2]).map { Double($0) }
    guard !values.isEmpty, values.allSatisfy({ $0.map { $0 >= 0 && $0.isFinite } ?? false }) else {
      throw ValidationError("--l2 needs non-negative numbers, comma-separated, got '\(l2)'")
    }
    return values.compactMap { $0 }
  }

  func run() throws {
    let started = Date()
    let threads = common.threadCount
    let source = try backbone.load()
    let (splits, kind) = try evaluation.splits(backbone: source, seed: common.seed, threads: threads)
    guard let validation = splits.validation else {
      throw ValidationError("linear evaluation selects its penalty on validation: --validation-fraction must be above 0")
    }
    let encoder = try backbone.encoder(for: source, images: splits.train, dataset: kind)
    let exit = try source.loadSubNetwork(encoder: encoder.configuration)
    let progress = StagedProgress(quiet: !common.showsProgress)
    let features = withThreads(threads) {
      FrozenFeatures(encoder: encoder, exit: exit, data: splits, batchSize: batchSize) {
        progress.update($0, unit: "img", $1, $2)
      }
    }
    let grid = try penalties()
    let probes = try LinearEvaluation(features, l2: grid) { progress.update("probes", unit: "fit", $0, $1) }
    let main = probes.heads[0]
    let report = LinearEvalReport(
      backbone: source.path, trainCount: splits.train.count, validationCount: validation.count,
      testCount: features.test.labels.count, l2: grid, validationAccuracy: main.validationAccuracy,
      testAccuracy: main.testAccuracy, selectedL2: grid[main.selected], selectedTestAccuracy: main.testAccuracy[main.selected],
      bestOnTestAccuracy: main.testAccuracy.max() ?? 0, seconds: Date().timeIntervalSince(started),
      heads: probes.heads.count > 1
        ? probes.heads.dropFirst().map {
          LinearEvalHead(
            name: $0.name, validationAccuracy: $0.validationAccuracy, testAccuracy: $0.testAccuracy,
            selectedL2: grid[$0.selected], selectedTestAccuracy: $0.testAccuracy[$0.selected])
        } : nil)
    if let run = source.run { try JSONOutput.write(report, to: run.linearEvalReportFile) }
    if common.json {
      try common.printJSON(report)
    } else {
      print(
        String(
          format: "linear evaluation: test accuracy %.2f%% at l2 %g (chosen on %d validation images; %d training, %d test); "
            + "best on test %.2f%% (selected on test, not for reporting)",
          100 * report.selectedTestAccuracy, report.selectedL2, report.validationCount, report.trainCount,
          report.testCount, 100 * report.bestOnTestAccuracy))
      for head in report.heads ?? [] {
        print("  \(head.name) head: " + String(format: "test accuracy %.2f%% at l2 %g", 100 * head.selectedTestAccuracy, head.selectedL2))
      }
    }
  }
}

/// `clens knn-eval`: weighted kNN on a frozen encoder's features.
struct KNNEvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "knn-eval",
    abstract: "Weighted kNN evaluation of a frozen encoder, as the contrastive papers monitor it.",
    discussion: """
      The training images' features are the memory; each test (and validation) image's k most \
      cosine-similar training features vote for their label with weight exp(similarity/τ) (Wu et \
      al., as MoCo and SupContrast monitor). With a run as --from the report goes to \
      analysis/knn-eval.json of the run.
      """)

  @OptionGroup(title: "Encoder") var backbone: BackboneOptions
  @OptionGroup var evaluation: EvaluationDataOptions

  @Option(help: "Neighbours that vote.")
  var k: Int = 200

  @Option(help: "Temperature τ of the vote weights exp(s/τ).")
  var temperature: Double = 0.1

  @Option(help: "Images per forward pass.")
  var batchSize: Int = 256

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if backbone.source == nil { throw ValidationError("--from is needed: a run directory, a checkpoint or safetensors weights") }
    if k < 1 { throw ValidationError("--k must be at least 1") }
    try requirePositiveNumbers([("--temperature", temperature)])
    if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
  }

  func run() throws {
    let started = Date()
    let threads = common.threadCount
    let source = try backbone.load()
    let (splits, kind) = try evaluation.splits(backbone: source, seed: common.seed, threads: threads)
    guard k <= splits.train.count else {
      throw ValidationError("--k \(k) is more than the \(splits.train.count) training images")
    }
    let encoder = try backbone.encoder(for: source, images: splits.train, dataset: kind)
    let progress = StagedProgress(quiet: !common.showsProgress)
    let features = withThreads(threads) {
      FrozenFeatures(encoder: encoder, data: splits, batchSize: batchSize) { progress.update($0, unit: "img", $1, $2) }
    }
    func accuracy(_ split: FrozenFeatures.Split) throws -> Double {
      try WeightedNeighbors.accuracy(
        memory: features.train.features, memoryLabels: features.train.labels, queries: split.features,
        queryLabels: split.labels, k: k, temperature: temperature, threads: threads)
    }
    let report = KNNEvalReport(
      backbone: source.path, k: k, temperature: temperature, trainCount: features.train.labels.count,
      testCount: features.test.labels.count, testAccuracy: try accuracy(features.test),
      validationAccuracy: try features.validation.map(accuracy), seconds: Date().timeIntervalSince(started))
    if let run = source.run { try JSONOutput.write(report, to: run.knnEvalReportFile) }
    if common.json {
      try common.printJSON(report)
    } else {
      print(
        String(
          format: "weighted %d-NN (tau %g): test accuracy %.2f%% with %d training images as memory", k, temperature,
          100 * report.testAccuracy, report.trainCount))
    }
  }
}
