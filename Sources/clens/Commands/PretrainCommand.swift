import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat
import Training

extension SupConLoss.ContrastMode: ExpressibleByArgument {}

/// `clens pretrain`: contrastive pre-training of a ResNet encoder, logging features and
/// positive/negative scores into a run directory.
struct PretrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pretrain",
    abstract: "Pre-train a ResNet encoder with SimCLR or SupCon, logging scores and features into a run directory.",
    discussion: """
      SimCLR (NT-Xent: positives are the other views of each image) and SupCon (positives are all \
      samples of the same class) as SupContrast trains them: both views in one forward pass, an MLP \
      head (D→D→ReLU→128, L2-normalised), the loss scaled by τ/τ_b, SGD with a cosine schedule \
      (η_min = lr·0.001; per step, or SupContrast's per epoch) and optional warm-up. The run directory gets config.json (every \
      resolved setting), metrics.jsonl (loss, lr, contrastive accuracy, images/s, 10-NN accuracy at \
      snapshots), scores.jsonl (positive and negative cosine scores: mean, variance, count, \
      histogram), features/epoch-<k>.npy of the held-out split with labels and one augmented view \
      as positives, and checkpoints (encoder under encoder., head under head., optimizer state). \
      Defaults follow the dataset: a ResNet-18 with the CIFAR stem and width 16 for images of \
      32 px or less. A run killed at any moment continues with --resume DIR and reaches the same \
      weights as an uninterrupted one (same --seed and --threads).
      """)

  @Option(help: "Method: simclr (positives: other views) or supcon (positives: same class).")
  var method: String?

  @Option(help: "The run directory to create (must not exist or be empty).")
  var out: String?

  @Option(help: "Continue the run in this directory from its last checkpoint (its settings come from its config.json).")
  var resume: String?

  @OptionGroup(title: "Data") var data: DatasetOptions

  @OptionGroup(title: "Encoder") var encoder: EncoderOptions

  @Option(help: "Output width of the projection head. (default: 128)")
  var headDim: Int?

  @Option(help: "Temperature τ. (default: 0.5 for simclr, 0.1 for supcon, SupContrast's)")
  var temperature: Double?

  @Option(help: "Base temperature τ_b: the loss is scaled by τ/τ_b. (default: 0.07)")
  var baseTemperature: Double?

  @Option(help: "Anchors: all (every view) or one (the first view only). (default: all)")
  var contrastMode: SupConLoss.ContrastMode?

  @Option(help: "Augmented views per image. (default: 2)")
  var views: Int?

  @Option(
    help: ArgumentHelp(
      "Augmentation recipe of the views. (default: the method's: simclr or supcon)",
      discussion: "Recipes: \(AugmentationRecipe.names.joined(separator: ", ")).", valueName: "recipe"))
  var recipe: String?

  @OptionGroup(title: "Optimization and logging") var training: TrainingOptions

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if (out == nil) == (resume == nil) { throw ValidationError("give --out DIR for a new run or --resume DIR to continue one") }
    if resume != nil {
      let given =
        method != nil || data.dataset != nil || data.dataDir != nil || data.limit != nil || encoder.arch != nil
        || encoder.width != nil || encoder.stem != nil || headDim != nil || temperature != nil
        || baseTemperature != nil || contrastMode != nil || views != nil || recipe != nil || training.isCustomized
        || common.seed != 0
      if given {
        throw ValidationError("--resume takes every setting from the run's config.json; only --threads, --json and --quiet apply")
      }
      return
    }
    guard let method else { throw ValidationError("--method is needed: \(TrainingSetup.methods.joined(separator: " or "))") }
    guard TrainingSetup.methods.contains(method) else {
      throw ValidationError("unknown --method '\(method)': use \(TrainingSetup.methods.joined(separator: " or "))")
    }
    if data.split != nil { throw ValidationError("--split does not apply: training reads the train split, snapshots the test split") }
    if let headDim, headDim < 1 { throw ValidationError("--head-dim must be at least 1") }
    if let temperature, !(temperature > 0 && temperature.isFinite) {
      throw ValidationError("--temperature must be a positive number, got \(temperature)")
    }
    if let baseTemperature, !(baseTemperature > 0 && baseTemperature.isFinite) {
      throw ValidationError("--base-temperature must be a positive number, got \(baseTemperature)")
    }
    if let views, views < (method == "simclr" ? 2 : 1) {
      throw ValidationError("--views must be at least \(method == "simclr" ? 2 : 1) for \(method)")
    }
    if let recipe, AugmentationRecipe(name: recipe) == nil {
      throw ValidationError("unknown --recipe '\(recipe)': use \(AugmentationRecipe.names.joined(separator: ", "))")
    }
  }

  func run() throws {
    let writer: RunWriter
    let trainer: Trainer
    if let resume {
      let (reopened, configuration, checkpoint) = try RunWriter.resume(at: resume)
      let threads = common.threadsOption.threads.map(ThreadCount.init) ?? ThreadCount(configuration.threads)
      if threads.value != configuration.threads {
        printWarning(
          "the run used \(configuration.threads) thread(s), this resumption \(threads.value): the result will differ in the last bits from an uninterrupted run"
        )
      }
      trainer = try makeTrainer(
        configuration, data: try TrainingData.splits(configuration, threads: threads), threads: threads,
        origin: reopened.run.configurationFile)
      if let checkpoint { try trainer.restore(from: checkpoint) }
      writer = reopened
    } else {
      let threads = common.threadCount
      let allTrain = try data.source.load(.train, threads: threads)
      let allHeldOut = try data.source.load(.test, threads: threads)
      let configuration = try resolve(train: allTrain, heldOut: allHeldOut, threads: threads)
      trainer = try makeTrainer(
        configuration, data: try TrainingData.splits(configuration, train: allTrain, test: allHeldOut), threads: threads,
        origin: "--out \(out!)")
      writer = try RunWriter.create(at: out!, configuration: configuration)
    }
    let configuration = trainer.configuration
    let progress = TrainingProgress(
      label: configuration.method, initial: trainer.step, total: configuration.optimization.totalSteps,
      quiet: !common.showsProgress)
    let summary = try trainer.train(writer: writer, observers: [progress])
    if common.json {
      try common.printJSON(summary)
    } else {
      print(Self.summaryLine(summary, method: configuration.method, run: writer.run.path))
    }
  }

  /// One line: what ran, how fast, where the run is.
  static func summaryLine(_ summary: TrainingSummary, method: String, run: String) -> String {
    func format(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "–" }
    return "\(method): \(summary.epochs) epochs, \(summary.steps) steps, \(ProgressBar.format(seconds: summary.seconds)) "
      + "(\(ProgressBar.format(rate: summary.imagesPerSecond)) img/s); final loss \(format(summary.finalLoss)), "
      + "contrastive accuracy \(format(summary.finalAccuracy)), 10-NN accuracy on held-out features "
      + "\(format(summary.knnAccuracy)); run in \(run)"
  }

  /// Every setting of a new run: the options given, the rest scaled to the dataset
  /// (`trainSet` and `heldOut`, its whole train and test splits).
  private func resolve(train trainSet: ImageSet, heldOut: ImageSet, threads: ThreadCount) throws -> RunConfiguration {
    let method = self.method!
    let kind = data.kind
    let trainCount = min(data.limit ?? trainSet.count, trainSet.count)
    let testCount = heldOut.count
    let side = max(trainSet.height, trainSet.width)
    let normalization = kind.referenceNormalization ?? {
      let (mean, std) = trainSet.channelStatistics()
      return (mean.map(Float.init), std.map { Float(max($0, 1e-3)) })
    }()
    let encoderConfiguration = ResNetConfiguration(
      depth: encoder.arch ?? .resnet18, stem: encoder.stem ?? (side <= 64 ? .cifar : .imagenet),
      width: encoder.width ?? (side <= 32 ? 16 : 64), inChannels: trainSet.channels, classes: nil,
      normalization: normalization)
    let batchSize = training.batchSize ?? min(256, trainCount)
    let epochs = training.epochs ?? 5
    let stepsPerEpoch = trainCount / batchSize
    guard stepsPerEpoch >= 1 else { throw ValidationError("--batch-size \(batchSize) is larger than the \(trainCount) training images") }
    let optimizer = training.optimizer ?? .sgd
    let lr = training.lr ?? 0.25 * Double(batchSize) / 1024
    let warmup = training.warmupEpochs ?? (batchSize > 256 ? min(10, max(1, epochs / 10)) : 0)
    guard warmup < epochs else { throw ValidationError("--warmup-epochs (\(warmup)) must be fewer than --epochs (\(epochs))") }
    let recipeName = recipe ?? method
    return RunConfiguration(
      tool: "clens \(CLens.configuration.version)", command: "pretrain", method: method, seed: common.seed,
      threads: threads.value,
      data: DataSettings(
        dataset: kind.rawValue, dataDirectory: data.dataDir, limit: data.limit, trainCount: trainCount,
        evalSplit: Split.test.rawValue, evalCount: min(training.evalLimit ?? testCount, testCount),
        imageShape: [trainSet.channels, trainSet.height, trainSet.width], classNames: trainSet.classNames,
        recipe: recipeName, views: views ?? 2),
      model: ModelArchitecture(
        encoder: encoderConfiguration, headWidths: [encoderConfiguration.featureDimension, headDim ?? 128]),
      optimization: OptimizationSettings(
        optimizer: optimizer.rawValue, epochs: epochs, batchSize: batchSize, stepsPerEpoch: stepsPerEpoch,
        learningRate: lr, momentum: training.momentum ?? 0.9, weightDecay: training.weightDecay ?? 1e-4,
        excludeNormAndBias: optimizer == .lars, warmupEpochs: warmup, warmupFrom: 0.01,
        schedule: (training.schedule ?? .cosineStep).rawValue,
        minimumLearningRate: lr * 1e-3),
      loss: LossSettings(
        temperature: temperature ?? (method == "simclr" ? 0.5 : 0.1), baseTemperature: baseTemperature ?? 0.07,
        contrastMode: (contrastMode ?? .all).rawValue, usesLabels: method == "supcon"),
      logging: LoggingSettings(
        logEvery: training.logEvery ?? 10, snapshotEvery: training.snapshotEvery ?? 1,
        checkpointEvery: training.checkpointEvery ?? 100, histogramBins: 40))
  }
}
