import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat
import Training

extension SupConLoss.ContrastMode: ExpressibleByArgument {}
extension FeatureTransformation.PerElement: ExpressibleByArgument {}
extension FalseNegativeCancellation.Strategy: ExpressibleByArgument {}
extension FalseNegativeCancellation.Aggregation: ExpressibleByArgument {}

/// SelfCon's sub-network sizes.
enum ExitSize: String, ExpressibleByArgument, CaseIterable {
  case fc, small, same
}

/// `clens pretrain`: contrastive pre-training of a ResNet encoder, logging features and
/// positive/negative scores into a run directory.
struct PretrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pretrain",
    abstract: "Pre-train a ResNet encoder (SimCLR, SupCon, MoCo v2 ± Feature Transformation, SelfCon, FNC), logging scores and features into a run directory.",
    discussion: """
      SimCLR (NT-Xent: positives are the other views of each image) and SupCon (positives are all \
      samples of the same class) as SupContrast trains them: both views in one forward pass, an MLP \
      head (D→D→ReLU→128, L2-normalised), the loss scaled by τ/τ_b. MoCo v2: a momentum key \
      encoder, a queue of K negatives, shuffle-BN emulated in groups; --feature-transform adds \
      Feature Transformation (extrapolated positives, interpolated queue) and logs scores before \
      and after it. SelfCon: one view, a sub-network exit after an encoder stage as the second \
      view. FNC: 2 + S views, false negatives detected by each image's own views (top-k over a \
      threshold) attracted or eliminated, against a memory of EMA embeddings; logs how many were \
      found and their precision and recall against the labels. All: SGD (or LARS) with a cosine \
      schedule (η_min = lr·0.001; per step, or SupContrast's per epoch) and optional warm-up. The \
      run directory gets config.json (every \
      resolved setting), metrics.jsonl (loss, lr, contrastive accuracy, images/s, 10-NN accuracy at \
      snapshots), scores.jsonl (positive and negative cosine scores: mean, variance, count, \
      histogram), features/epoch-<k>.npy of the held-out split with labels and one augmented view \
      as positives, and checkpoints (encoder under encoder., head under head., optimizer state). \
      Defaults follow the dataset: a ResNet-18 with the CIFAR stem and width 16 for images of \
      32 px or less. A run killed at any moment continues with --resume DIR and reaches the same \
      weights as an uninterrupted one (same --seed and --threads).
      """)

  @Option(help: "Method: simclr (positives: other views), supcon (positives: same class), moco (MoCo v2: a queue of negatives and a momentum key encoder), selfcon (a sub-network exit as the second view) or fnc (SimCLR with False Negative Cancellation).")
  var method: String?

  @Option(help: "The run directory to create (must not exist or be empty).")
  var out: String?

  @Option(help: "Continue the run in this directory from its last checkpoint (its settings come from its config.json).")
  var resume: String?

  @OptionGroup(title: "Data") var data: DatasetOptions

  @OptionGroup(title: "Encoder") var encoder: EncoderOptions

  @Option(help: "Output width of the projection head. (default: 128)")
  var headDim: Int?

  @Option(help: "Temperature τ. (default: 0.5 for simclr, 0.1 for supcon, SupContrast's; 0.2 for moco, MoCo v2's)")
  var temperature: Double?

  @Option(help: "Base temperature τ_b of simclr and supcon: the loss is scaled by τ/τ_b. (default: 0.07)")
  var baseTemperature: Double?

  @Option(help: "SelfCon: the encoder stage (1-3) the sub-network exit reads. (default: 2, SelfCon's CIFAR script)")
  var exitStage: Int?

  @Option(help: "SelfCon: the sub-network: fc (pool + linear), small (half the remaining blocks) or same (all of them). (default: fc)")
  var exitSize: ExitSize?

  @Flag(help: "SelfCon: no labels (SelfCon-SU): positives are only the other exit of the same image.")
  var unsupervised = false

  @Flag(
    inversion: .prefixedNo,
    help:
      "BatchNorm after each hidden layer of the projection heads. (default: on for selfcon, whose reference heads have none but collapse to one point at this toolkit's budgets, the two exits' embeddings pulled together through the batch mean; off otherwise, as SupContrast and MoCo v2)"
  )
  var headBn: Bool?

  @Option(help: "MoCo: keys in the queue of negatives. (default: 4096)")
  var mocoK: Int?

  @Option(help: "MoCo: momentum m of the key encoder, θ_k ← m·θ_k + (1 − m)·θ_q. (default: 0.99)")
  var mocoM: Double?

  @Option(help: "MoCo: groups the key batch is encoded in with their own BatchNorm statistics (shuffle-BN on one process). (default: 2)")
  var shuffleGroups: Int?

  @Flag(help: "MoCo: Feature Transformation (positive extrapolation, negative interpolation of the queue).")
  var featureTransform = false

  @Option(help: "Feature Transformation: α of the positive pair's Beta(α, α) + 1. (default: 2.0, the README's)")
  var posAlpha: Double?

  @Option(help: "Feature Transformation: α of the queue's interpolation Beta(α, α). (default: 1.6, the README's)")
  var negAlpha: Double?

  @Flag(help: "Feature Transformation: interpolate the positive pair (λ in [0, 1]) instead of extrapolating it.")
  var interpolatePositives = false

  @Option(help: "Feature Transformation: coefficients per element instead of per step: none, positive, negative or both. (default: none)")
  var ftPerElement: FeatureTransformation.PerElement?

  @Option(
    help:
      "Feature Transformation: the first epoch (0-based) that transforms, plain MoCo before it (the reference's mix_start_epoch); short runs with FT from the start can collapse. (default: 0)"
  )
  var ftStartEpoch: Int?

  @Option(help: "FNC: support views per image besides the two main views, all of them anchors and detectors. (default: 8, FNC's)")
  var supportViews: Int?

  @Option(help: "FNC: at most this many false negatives per image (k). (default: 10)")
  var fncTopK: Int?

  @Option(help: "FNC: a false negative's score must exceed this (θ). (default: 0.7)")
  var fncThreshold: Double?

  @Option(help: "FNC: attraction (false negatives become positives, the released code) or elimination (they leave the denominator). (default: attraction)")
  var fncStrategy: FalseNegativeCancellation.Strategy?

  @Option(help: "FNC: a candidate's score over the image's views: max (the released code) or mean. (default: max)")
  var fncAggregation: FalseNegativeCancellation.Aggregation?

  @Option(help: "FNC: memory of EMA embeddings, in batches; 0 contrasts within the batch only. At least the views when not 0. (default: 16, FNC's)")
  var memoryMultiplier: Int?

  @Option(help: "FNC: decay of the EMA model that fills the memory. (default: 0.999)")
  var emaDecay: Double?

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

  @OptionGroup(title: "Several processes (mpirun)") var distributed: DistributedOptions

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if (out == nil) == (resume == nil) { throw ValidationError("give --out DIR for a new run or --resume DIR to continue one") }
    if resume != nil {
      let given =
        method != nil || data.dataset != nil || data.dataDir != nil || data.limit != nil || encoder.arch != nil
        || encoder.width != nil || encoder.stem != nil || headDim != nil || temperature != nil
        || baseTemperature != nil || contrastMode != nil || views != nil || recipe != nil || training.isCustomized
        || mocoK != nil || mocoM != nil || shuffleGroups != nil || featureTransform || posAlpha != nil
        || negAlpha != nil || interpolatePositives || ftPerElement != nil || ftStartEpoch != nil || exitStage != nil
        || exitSize != nil || unsupervised || supportViews != nil || fncTopK != nil || fncThreshold != nil || fncStrategy != nil
        || fncAggregation != nil || memoryMultiplier != nil || emaDecay != nil || headBn != nil
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
    try requirePositiveNumbers([("--temperature", temperature), ("--base-temperature", baseTemperature)])
    if let views, views < (method == "simclr" ? 2 : 1) {
      throw ValidationError("--views must be at least \(method == "simclr" ? 2 : 1) for \(method)")
    }
    let isMoCo = method == "moco"
    if method != "selfcon" && (exitStage != nil || exitSize != nil || unsupervised) {
      throw ValidationError("--exit-stage, --exit-size and --unsupervised apply to --method selfcon")
    }
    if let exitStage, !(1...3).contains(exitStage) { throw ValidationError("--exit-stage must be 1, 2 or 3") }
    if method == "selfcon", let views, views != 1 { throw ValidationError("selfcon trains on one view (--views 1)") }
    if !isMoCo && (mocoK != nil || mocoM != nil || shuffleGroups != nil || featureTransform) {
      throw ValidationError("--moco-k, --moco-m, --shuffle-groups and --feature-transform apply to --method moco")
    }
    if !featureTransform && (posAlpha != nil || negAlpha != nil || interpolatePositives || ftPerElement != nil || ftStartEpoch != nil) {
      throw ValidationError(
        "--pos-alpha, --neg-alpha, --interpolate-positives, --ft-per-element and --ft-start-epoch apply with --feature-transform")
    }
    if let ftStartEpoch, ftStartEpoch < 0 || ftStartEpoch >= training.epochs ?? 5 {
      throw ValidationError("--ft-start-epoch must be at least 0 and less than the epochs (\(training.epochs ?? 5)), got \(ftStartEpoch)")
    }
    if isMoCo && (baseTemperature != nil || contrastMode != nil) {
      throw ValidationError("--base-temperature and --contrast-mode apply to simclr and supcon")
    }
    if isMoCo, let views, views != 2 { throw ValidationError("moco trains on two views (--views 2)") }
    if let mocoK, mocoK < 1 { throw ValidationError("--moco-k must be at least 1") }
    if let mocoM, !(mocoM >= 0 && mocoM < 1) { throw ValidationError("--moco-m must be in [0, 1), got \(mocoM)") }
    if let shuffleGroups, shuffleGroups < 1 { throw ValidationError("--shuffle-groups must be at least 1") }
    try requirePositiveNumbers([("--pos-alpha", posAlpha), ("--neg-alpha", negAlpha)])
    try validateFNC(method: method)
    if let recipe, AugmentationRecipe(name: recipe) == nil {
      throw ValidationError("unknown --recipe '\(recipe)': use \(AugmentationRecipe.names.joined(separator: ", "))")
    }
  }

  /// FNC's options: only with --method fnc, in range, a memory that holds every view.
  private func validateFNC(method: String) throws {
    guard method == "fnc" else {
      if supportViews != nil || fncTopK != nil || fncThreshold != nil || fncStrategy != nil || fncAggregation != nil
        || memoryMultiplier != nil || emaDecay != nil
      {
        throw ValidationError("--support-views, --fnc-*, --memory-multiplier and --ema-decay apply to --method fnc")
      }
      return
    }
    if views != nil { throw ValidationError("fnc's views are 2 + --support-views; --views does not apply") }
    if baseTemperature != nil || contrastMode != nil {
      throw ValidationError("--base-temperature and --contrast-mode apply to simclr and supcon")
    }
    if let supportViews, supportViews < 0 { throw ValidationError("--support-views must not be negative") }
    if let fncTopK, fncTopK < 1 { throw ValidationError("--fnc-top-k must be at least 1") }
    if let fncThreshold, !(fncThreshold >= -1 && fncThreshold <= 1) {
      throw ValidationError("--fnc-threshold must be a cosine score in [-1, 1], got \(fncThreshold)")
    }
    if let emaDecay, !(emaDecay >= 0 && emaDecay < 1) { throw ValidationError("--ema-decay must be in [0, 1), got \(emaDecay)") }
    let totalViews = 2 + (supportViews ?? 8)
    if let memoryMultiplier, memoryMultiplier != 0 && memoryMultiplier < totalViews {
      throw ValidationError(
        "--memory-multiplier must be 0 or at least the views per image (\(totalViews)): the memory holds every view of the batch")
    }
    if memoryMultiplier == nil && totalViews > 16 {
      throw ValidationError("with \(totalViews) views per image give --memory-multiplier 0 or at least \(totalViews)")
    }
  }

  func run() throws {
    let processes = try TrainingProcesses(distributed)
    try processes.run { try train(as: processes) }
  }

  /// Trains as this process (alone, or one rank of an mpirun job).
  private func train(as processes: TrainingProcesses) throws {
    let writer: RunWriter?
    let trainer: Trainer
    if let resume {
      let (reopened, configuration, checkpoint) = try processes.resume(resume)
      let threads = common.threadsOption.threads.map(ThreadCount.init) ?? ThreadCount(configuration.threads)
      if threads.value != configuration.threads && processes.isPrimary {
        printWarning(
          "the run used \(configuration.threads) thread(s), this resumption \(threads.value): the result will differ in the last bits from an uninterrupted run"
        )
      }
      trainer = try processes.trainer(
        configuration, data: try TrainingData.splits(configuration, threads: threads), threads: threads,
        origin: RunDirectory(unchecked: resume).configurationFile, common: common)
      if let checkpoint { try trainer.restore(from: checkpoint) }
      writer = reopened
    } else {
      let threads = processes.threads(common.threadsOption)
      let allTrain = try data.source.load(.train, threads: threads)
      let allHeldOut = try data.source.load(.test, threads: threads)
      let configuration = try resolve(train: allTrain, heldOut: allHeldOut, threads: threads)
      trainer = try processes.trainer(
        configuration, data: try TrainingData.splits(configuration, train: allTrain, test: allHeldOut), threads: threads,
        origin: "--out \(out!)", common: common)
      writer = processes.isPrimary ? try RunWriter.create(at: out!, configuration: configuration) : nil
    }
    let configuration = trainer.configuration
    let progress = TrainingProgress(
      label: configuration.method, initial: trainer.step, total: configuration.optimization.totalSteps,
      quiet: !common.showsProgress)
    let summary = try trainer.train(writer: writer, observers: processes.isPrimary ? [progress] : [])
    guard let writer else { return }
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
    let recipeName = recipe ?? (method == "moco" ? "moco-v2" : method)
    let fnc =
      method == "fnc"
      ? FNCSettings(
        topK: fncTopK ?? 10, threshold: fncThreshold ?? 0.7, strategy: (fncStrategy ?? .attraction).rawValue,
        aggregation: (fncAggregation ?? .max).rawValue, memoryMultiplier: memoryMultiplier ?? 16,
        emaDecay: emaDecay ?? 0.999) : nil
    let exit = method == "selfcon" ? ModelArchitecture.Exit(stage: exitStage ?? 2, size: (exitSize ?? .fc).rawValue) : nil
    let moco =
      method == "moco"
      ? MoCoSettings(
        queueSize: mocoK ?? 4096, momentum: mocoM ?? 0.99, shuffleGroups: shuffleGroups ?? 2,
        featureTransform: featureTransform
          ? FeatureTransformSettings(
            positiveAlpha: posAlpha ?? 2, negativeAlpha: negAlpha ?? 1.6, extrapolate: !interpolatePositives,
            perElement: (ftPerElement ?? .none).rawValue, startEpoch: ftStartEpoch ?? 0) : nil) : nil
    let tau = temperature ?? ["simclr": 0.5, "supcon": 0.1, "moco": 0.2, "selfcon": 0.1, "fnc": 0.1][method]!
    let viewCount = views ?? (method == "selfcon" ? 1 : method == "fnc" ? 2 + (supportViews ?? 8) : 2)
    return RunConfiguration(
      tool: "clens \(CLens.configuration.version)", command: "pretrain", method: method, seed: common.seed,
      threads: threads.value,
      data: DataSettings(
        dataset: kind.rawValue, dataDirectory: data.dataDir, limit: data.limit, trainCount: trainCount,
        evalSplit: Split.test.rawValue, evalCount: min(training.evalLimit ?? testCount, testCount),
        imageShape: [trainSet.channels, trainSet.height, trainSet.width], classNames: trainSet.classNames,
        recipe: recipeName, views: viewCount),
      model: ModelArchitecture(
        encoder: encoderConfiguration, headWidths: [encoderConfiguration.featureDimension, headDim ?? 128], exit: exit,
        headBatchNorm: headBn ?? (method == "selfcon")),
      optimization: OptimizationSettings(
        optimizer: optimizer.rawValue, epochs: epochs, batchSize: batchSize, stepsPerEpoch: stepsPerEpoch,
        learningRate: lr, momentum: training.momentum ?? 0.9, weightDecay: training.weightDecay ?? 1e-4,
        excludeNormAndBias: optimizer == .lars, warmupEpochs: warmup, warmupFrom: 0.01,
        schedule: (training.schedule ?? .cosineStep).rawValue,
        minimumLearningRate: lr * 1e-3),
      loss: LossSettings(
        temperature: tau, baseTemperature: ["moco", "fnc"].contains(method) ? tau : baseTemperature ?? 0.07,
        contrastMode: (contrastMode ?? .all).rawValue,
        usesLabels: method == "supcon" || (method == "selfcon" && !unsupervised)),
      logging: LoggingSettings(
        logEvery: training.logEvery ?? 10, snapshotEvery: training.snapshotEvery ?? 1,
        checkpointEvery: training.checkpointEvery ?? 100, histogramBins: 40),
      moco: moco, fnc: fnc)
  }
}
