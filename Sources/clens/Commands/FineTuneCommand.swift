import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat
import Training

extension HardPairMixing.HardPositive: ExpressibleByArgument {}
extension FocalSupConLoss.Normalizer: ExpressibleByArgument {}

/// The adversaries of adversarial training.
enum AdversarialKind: String, ExpressibleByArgument, CaseIterable {
  case pgdLinf = "pgd-linf"
  case pgdL2 = "pgd-l2"
}

/// `clens finetune`: CE-tuning or Core-tuning of a pre-trained encoder with a linear
/// classifier, with validation-based model selection, into a run directory.
struct FineTuneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "finetune",
    abstract: "Fine-tune a pre-trained encoder with cross-entropy (ce) or Core-tuning (core).",
    discussion: """
      The backbone (--from) is a ContrastLens run (its checkpoints/last.safetensors, or --checkpoint \
      NAME), a ContrastLens checkpoint, or safetensors weights exported from PyTorch with torchvision's \
      names (--strip-prefix, and --arch/--width/--stem for its shape); every encoder tensor must load. \
      A linear classifier without bias is added (Core-tuning's), and for core the Contrastor head \
      D→D→ReLU→256. CE-tuning minimises cross-entropy; Core-tuning (Zhang et al., NeurIPS 2021) adds \
      η times the focal supervised contrastive loss on the head and trains the classifier on original \
      and generated rows: hard negatives mixed with a random partner (weight ≥ 0.8) and hard positives \
      mixed with the hardest negative, with soft labels. The released code's behaviours are the \
      defaults and each has an option: --hard-positive reference (its argmin, mostly the anchor \
      itself) or paper, --detach-originals, --normalizer rows (1/N) or positives. A validation split \
      carved from the training split (--validation-fraction) selects the best epoch \
      (checkpoints/best.safetensors); the test split is only measured. The run directory gets what a \
      pre-training run gets, plus the classifier's logits and test accuracy with every snapshot.
      """)

  @Option(help: "Method: ce (cross-entropy) or core (Core-tuning).")
  var method: String?

  @OptionGroup(title: "Backbone") var backbone: BackboneOptions

  @Option(help: "The run directory to create (must not exist or be empty).")
  var out: String?

  @Option(help: "Continue the run in this directory from its last checkpoint (its settings come from its config.json).")
  var resume: String?

  @OptionGroup(title: "Data") var data: DatasetOptions

  @Option(help: "Labelled training images: all, a percentage (1%, 10%) or N per class, seeded and class-stratified. (default: all)")
  var labelled: LabelSubset?

  @Option(help: "Fraction of the training split held out for validation (model selection). (default: 0.1)")
  var validationFraction: Double?

  @OptionGroup(title: "Optimization and logging") var training: TrainingOptions

  @Option(help: "Mini-batches per optimizer step (gradients summed, each loss divided by their number). (default: 4, with batch 64: the released code's 256)")
  var accumulation: Int?

  @Flag(inversion: .prefixedNo, help: "Nesterov momentum (the released code's). (default: on)")
  var nesterov = true

  @Option(help: "Core: η, the weight of the contrastive term. (default: 0.1, the README's; argparse's is 10)")
  var eta: Double?

  @Option(help: "Core: α of the Beta(α, α) mixing coefficients. (default: 1)")
  var mixupAlpha: Double?

  @Option(help: "Core: hard positives as the paper describes them or as the released code computes them. (default: reference)")
  var hardPositive: HardPairMixing.HardPositive?

  @Flag(inversion: .prefixedNo, help: "Core: detach the original rows, so only generated rows reach the encoder (the released code's). (default: on)")
  var detachOriginals = true

  @Option(help: "Core: the focal loss's per-anchor normaliser, rows (1/N, the released code's) or positives (1/|P|). (default: rows)")
  var normalizer: FocalSupConLoss.Normalizer?

  @Option(help: "Core: output width of the Contrastor head. (default: 256)")
  var contrastDim: Int?

  @Option(help: "Core: temperature τ (and τ_b) of the focal loss. (default: 0.07)")
  var temperature: Double?

  @Option(help: "Adversarial training against PGD: pgd-linf or pgd-l2 (AT-CE, AT-Core).")
  var adversarial: AdversarialKind?

  @Option(help: "Adversarial: ε in pixel units; fractions allowed (8/255). (default: 8/255 for l-inf, 0.5 for l2)")
  var advEps: String?

  @Option(help: "Adversarial: PGD steps. (default: 10)")
  var advSteps: Int?

  @Option(help: "Adversarial: step size in pixel units. (default: 2.5·ε/steps)")
  var advStepSize: Double?

  @OptionGroup(title: "Several processes (mpirun)") var distributed: DistributedOptions

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if (out == nil) == (resume == nil) { throw ValidationError("give --out DIR for a new run or --resume DIR to continue one") }
    if resume != nil {
      let given =
        method != nil || backbone.isGiven || data.dataset != nil || labelled != nil
        || validationFraction != nil || training.isCustomized || accumulation != nil || eta != nil || mixupAlpha != nil
        || hardPositive != nil || normalizer != nil || contrastDim != nil || temperature != nil || adversarial != nil
        || common.seed != 0
      if given {
        throw ValidationError("--resume takes every setting from the run's config.json; only --threads, --json and --quiet apply")
      }
      return
    }
    guard let method, TrainingSetup.fineTuningMethods.contains(method) else {
      throw ValidationError("--method is needed: ce or core" + (method.map { " (got '\($0)')" } ?? ""))
    }
    guard backbone.source != nil else {
      throw ValidationError("--from is needed: a run directory, a checkpoint or safetensors weights")
    }
    if data.split != nil { throw ValidationError("--split does not apply: fine-tuning trains on train and measures test") }
    if let validationFraction, !(validationFraction >= 0 && validationFraction < 1) {
      throw ValidationError("--validation-fraction must be in [0, 1), got \(validationFraction)")
    }
    if let accumulation, accumulation < 1 { throw ValidationError("--accumulation must be at least 1") }
    try requirePositiveNumbers([("--eta", eta), ("--mixup-alpha", mixupAlpha), ("--temperature", temperature)])
    if let contrastDim, contrastDim < 1 { throw ValidationError("--contrast-dim must be at least 1") }
    if method == "ce" && (eta != nil || mixupAlpha != nil || hardPositive != nil || normalizer != nil || contrastDim != nil || temperature != nil || !detachOriginals) {
      throw ValidationError("--eta, --mixup-alpha, --hard-positive, --normalizer, --contrast-dim, --temperature and --no-detach-originals apply to --method core")
    }
    if adversarial == nil && (advEps != nil || advSteps != nil || advStepSize != nil) {
      throw ValidationError("--adv-eps, --adv-steps and --adv-step-size apply with --adversarial")
    }
    if let advSteps, advSteps < 1 { throw ValidationError("--adv-steps must be at least 1") }
    try requirePositiveNumbers([("--adv-step-size", advStepSize)])
  }

  func run() throws {
    let processes = try TrainingProcesses(distributed)
    try processes.run { try train(as: processes) }
  }

  /// Fine-tunes as this process (alone, or one rank of an mpirun job).
  private func train(as processes: TrainingProcesses) throws {
    let writer: RunWriter?
    let trainer: Trainer
    if let resume {
      let (reopened, configuration, checkpoint) = try processes.resume(resume)
      let threads = common.threadsOption.threads.map(ThreadCount.init) ?? ThreadCount(configuration.threads)
      trainer = try processes.trainer(
        configuration, data: try TrainingData.splits(configuration, threads: threads), threads: threads,
        origin: RunDirectory(unchecked: resume).configurationFile, common: common)
      guard let checkpoint else {
        throw FileError(resume, "has no checkpoint yet; start it again with --out")
      }
      try trainer.restore(from: checkpoint)
      writer = reopened
    } else {
      let threads = processes.threads(common.threadsOption)
      let source = try backbone.load()
      let dataset = try data.source(for: source)
      let allTrain = try dataset.load(.train, threads: threads)
      let allTest = try dataset.load(.test, threads: threads)
      let configuration = try resolve(
        backbone: source, dataset: dataset, train: allTrain, test: allTest, threads: threads)
      trainer = try processes.trainer(
        configuration, data: try TrainingData.splits(configuration, train: allTrain, test: allTest), threads: threads,
        origin: "--out \(out!)", common: common)
      try trainer.load(source)
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

  /// One line: what ran, how fast, the validation and test accuracy, where the run is.
  static func summaryLine(_ summary: TrainingSummary, method: String, run: String) -> String {
    func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", 100 * $0) } ?? "–" }
    return "\(method): \(summary.epochs) epochs, \(summary.steps) steps, \(ProgressBar.format(seconds: summary.seconds)) "
      + "(\(ProgressBar.format(rate: summary.imagesPerSecond)) img/s); best validation accuracy "
      + "\(percent(summary.bestValidationAccuracy)) (step \(summary.bestValidationStep.map(String.init) ?? "–"), "
      + "checkpoints/best), test accuracy of the last model \(percent(summary.testAccuracy)); run in \(run)"
  }

  /// Every setting of a new run: the options given, the rest as the released code or
  /// scaled to the dataset.
  private func resolve(
    backbone source: Backbone, dataset: DatasetSource, train: ImageSet, test: ImageSet, threads: ThreadCount
  ) throws -> RunConfiguration {
    let method = self.method!
    let encoderConfiguration = try backbone.configuration(for: source, images: train, dataset: dataset.kind)
    let dimension = encoderConfiguration.featureDimension
    let limited = TrainingData.sample(train, count: data.limit ?? train.count, seed: common.seed)
    let validationCount = Int((Double(limited.count) * (validationFraction ?? 0.1)).rounded())
    let rest = TrainingData.carve(limited, validation: validationCount, seed: common.seed).rest
    let subset = labelled ?? .all
    if case .perClass(let n) = subset, let smallest = rest.classCounts.enumerated().min(by: { $0.element < $1.element }),
      n > smallest.element
    {
      throw ValidationError(
        "--labelled \(n) per class is more than the data has: class \(smallest.offset) has \(smallest.element) training images (after validation)")
    }
    let trainCount = rest.labelledIndices(subset, seed: common.seed).count
    let batchSize = training.batchSize ?? min(64, trainCount)
    let accumulation = self.accumulation ?? 4
    let stepsPerEpoch = trainCount / batchSize / accumulation
    guard stepsPerEpoch >= 1 else {
      throw ValidationError("\(trainCount) labelled training images give no step of \(accumulation) x \(batchSize) (--batch-size, --accumulation)")
    }
    let epochs = training.epochs ?? 5
    let lr = training.lr ?? 0.01
    let core =
      method == "core"
      ? CoreTuningSettings(
        eta: eta ?? 0.1, mixupAlpha: mixupAlpha ?? 1, negativeFloor: 0.8,
        hardPositive: (hardPositive ?? .reference).rawValue, detachOriginals: detachOriginals,
        normalizer: (normalizer ?? .rows).rawValue, temperature: temperature ?? 0.07,
        baseTemperature: temperature ?? 0.07) : nil
    let adversarialSettings = try adversarial.map { kind -> AdversarialTrainingSettings in
      let norm = kind == .pgdLinf ? "linf" : "l2"
      let eps = try advEps.map(parseEpsilon) ?? (kind == .pgdLinf ? 8.0 / 255 : 0.5)
      let steps = advSteps ?? 10
      return AdversarialTrainingSettings(norm: norm, eps: eps, steps: steps, stepSize: advStepSize ?? 2.5 * eps / Double(steps))
    }
    return RunConfiguration(
      tool: "clens \(CLens.configuration.version)", command: "finetune", method: method, seed: common.seed,
      threads: threads.value,
      data: DataSettings(
        dataset: dataset.kind.rawValue, dataDirectory: dataset.directory, limit: data.limit, trainCount: trainCount,
        evalSplit: Split.test.rawValue, evalCount: min(training.evalLimit ?? test.count, test.count),
        imageShape: [train.channels, train.height, train.width], classNames: train.classNames,
        recipe: "core-tuning", views: 1),
      model: ModelArchitecture(
        encoder: encoderConfiguration, headWidths: method == "core" ? [dimension, contrastDim ?? 256] : [],
        classifier: .init(classes: train.classCount, bias: false)),
      optimization: OptimizationSettings(
        optimizer: (training.optimizer ?? .sgd).rawValue, epochs: epochs, batchSize: batchSize,
        stepsPerEpoch: stepsPerEpoch, learningRate: lr, momentum: training.momentum ?? 0.9,
        weightDecay: training.weightDecay ?? 1e-4, excludeNormAndBias: training.optimizer == .lars,
        warmupEpochs: training.warmupEpochs ?? 0, warmupFrom: 0, schedule: (training.schedule ?? .cosineStep).rawValue,
        minimumLearningRate: 0),
      loss: nil,
      logging: LoggingSettings(
        logEvery: training.logEvery ?? 10, snapshotEvery: training.snapshotEvery ?? 1,
        checkpointEvery: training.checkpointEvery ?? 100, histogramBins: 40),
      fineTuning: FineTuningSettings(
        source: backbone.source!, sourceKind: source.kind, stripPrefix: backbone.entry.stripPrefix,
        labelled: subset.description,
        validationCount: validationCount, accumulationSteps: accumulation, nesterov: nesterov, core: core,
        adversarial: adversarialSettings, stateDictKey: backbone.entry.stateDictKey))
  }

  /// `8/255` or `0.5` as a number in pixel units.
  private func parseEpsilon(_ text: String) throws -> Double {
    let parts = text.split(separator: "/")
    let values = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard values.count == parts.count, values.count == 1 || values.count == 2, values.allSatisfy(\.isFinite) else {
      throw ValidationError("--adv-eps: '\(text)' is not a number or a fraction such as 8/255")
    }
    let value = values.count == 2 ? values[0] / values[1] : values[0]
    guard value > 0 && value.isFinite else { throw ValidationError("--adv-eps must be positive, got \(text)") }
    return value
  }
}
