import Engine

/// Every resolved setting of a training run (`config.json`): what `--resume` continues
/// with, and what a reader needs to know how the run's numbers came about.
public struct RunConfiguration: Sendable, Equatable, Codable {
  /// The tool and version that made the run ("clens 0.2.0").
  public var tool: String
  /// The command ("pretrain").
  public var command: String
  /// The method ("simclr", "supcon").
  public var method: String
  /// The seed every random choice of the run derives from.
  public var seed: UInt64
  /// Compute threads (results are bit-identical for a given seed and thread count).
  public var threads: Int
  public var data: DataSettings
  public var model: ModelArchitecture
  public var optimization: OptimizationSettings
  public var loss: LossSettings
  public var logging: LoggingSettings

  public init(
    tool: String, command: String, method: String, seed: UInt64, threads: Int, data: DataSettings,
    model: ModelArchitecture, optimization: OptimizationSettings, loss: LossSettings, logging: LoggingSettings
  ) {
    self.tool = tool
    self.command = command
    self.method = method
    self.seed = seed
    self.threads = threads
    self.data = data
    self.model = model
    self.optimization = optimization
    self.loss = loss
    self.logging = logging
  }
}

/// Which images a run trains on and how it augments them.
public struct DataSettings: Sendable, Equatable, Codable {
  /// The dataset's command-line name ("fashion-mnist").
  public var dataset: String
  /// The folder it was read from; nil for the default location.
  public var dataDirectory: String?
  /// `--limit`: the size of the seeded, class-stratified training sample, if any.
  public var limit: Int?
  /// Training images used.
  public var trainCount: Int
  /// The held-out split feature snapshots are taken of.
  public var evalSplit: String
  /// Held-out images in each snapshot.
  public var evalCount: Int
  /// [channels, height, width] of the images the model sees.
  public var imageShape: [Int]
  /// Class names by label, used by every figure of the run.
  public var classNames: [String]
  /// The augmentation recipe of the training views.
  public var recipe: String
  /// Views per image.
  public var views: Int

  public init(
    dataset: String, dataDirectory: String?, limit: Int?, trainCount: Int, evalSplit: String, evalCount: Int,
    imageShape: [Int], classNames: [String], recipe: String, views: Int
  ) {
    self.dataset = dataset
    self.dataDirectory = dataDirectory
    self.limit = limit
    self.trainCount = trainCount
    self.evalSplit = evalSplit
    self.evalCount = evalCount
    self.imageShape = imageShape
    self.classNames = classNames
    self.recipe = recipe
    self.views = views
  }

  enum CodingKeys: String, CodingKey {
    case dataset, limit, recipe, views
    case dataDirectory = "data_dir"
    case trainCount = "train_count"
    case evalSplit = "eval_split"
    case evalCount = "eval_count"
    case imageShape = "image_shape"
    case classNames = "class_names"
  }
}

/// The network a run trains: a ResNet encoder and an MLP projection head. Stored in
/// `config.json` and in every checkpoint, so a checkpoint rebuilds its own model.
public struct ModelArchitecture: Sendable, Equatable, Codable {
  /// The encoder (without `fc`; its normalisation is part of it).
  public var encoder: ResNetConfiguration
  /// Widths of the projection head after the encoder's features: hidden layers, then
  /// the embedding (SimCLR/SupCon: [D, 128]).
  public var headWidths: [Int]

  public init(encoder: ResNetConfiguration, headWidths: [Int]) {
    self.encoder = encoder
    self.headWidths = headWidths
  }

  /// Length of the embedding the head outputs.
  public var embeddingDimension: Int { headWidths.last ?? encoder.featureDimension }

  enum CodingKeys: String, CodingKey {
    case encoder
    case headWidths = "head_widths"
  }
}

/// Optimizer, schedule and batch settings.
public struct OptimizationSettings: Sendable, Equatable, Codable {
  /// "sgd" or "lars".
  public var optimizer: String
  public var epochs: Int
  public var batchSize: Int
  /// Optimizer steps per epoch (the last incomplete batch is dropped).
  public var stepsPerEpoch: Int
  /// The peak learning rate.
  public var learningRate: Double
  public var momentum: Double
  public var weightDecay: Double
  /// Whether BatchNorm parameters and biases are exempt from weight decay (and from
  /// LARS's adaptation).
  public var excludeNormAndBias: Bool
  /// Linear warm-up, in epochs (0: none).
  public var warmupEpochs: Int
  /// The learning rate warm-up starts from.
  public var warmupFrom: Double
  /// "cosine-step" (a cosine over steps) or "cosine-epoch" (SupContrast's, stepped at
  /// each epoch start).
  public var schedule: String
  /// The floor of the cosine.
  public var minimumLearningRate: Double

  public init(
    optimizer: String, epochs: Int, batchSize: Int, stepsPerEpoch: Int, learningRate: Double, momentum: Double,
    weightDecay: Double, excludeNormAndBias: Bool, warmupEpochs: Int, warmupFrom: Double, schedule: String,
    minimumLearningRate: Double
  ) {
    self.optimizer = optimizer
    self.epochs = epochs
    self.batchSize = batchSize
    self.stepsPerEpoch = stepsPerEpoch
    self.learningRate = learningRate
    self.momentum = momentum
    self.weightDecay = weightDecay
    self.excludeNormAndBias = excludeNormAndBias
    self.warmupEpochs = warmupEpochs
    self.warmupFrom = warmupFrom
    self.schedule = schedule
    self.minimumLearningRate = minimumLearningRate
  }

  /// Optimizer steps of the whole run.
  public var totalSteps: Int { epochs * stepsPerEpoch }

  enum CodingKeys: String, CodingKey {
    case optimizer, epochs, momentum, schedule
    case batchSize = "batch_size"
    case stepsPerEpoch = "steps_per_epoch"
    case learningRate = "lr"
    case weightDecay = "weight_decay"
    case excludeNormAndBias = "exclude_norm_and_bias"
    case warmupEpochs = "warmup_epochs"
    case warmupFrom = "warmup_from"
    case minimumLearningRate = "min_lr"
  }
}

/// Settings of the contrastive loss.
public struct LossSettings: Sendable, Equatable, Codable {
  /// τ.
  public var temperature: Double
  /// τ_b: the loss is scaled by τ/τ_b (SupContrast's `base_temperature`).
  public var baseTemperature: Double
  /// "all" (every view is an anchor) or "one" (only the first view).
  public var contrastMode: String
  /// Whether positives are same-class samples (SupCon) or only other views (SimCLR).
  public var usesLabels: Bool

  public init(temperature: Double, baseTemperature: Double, contrastMode: String, usesLabels: Bool) {
    self.temperature = temperature
    self.baseTemperature = baseTemperature
    self.contrastMode = contrastMode
    self.usesLabels = usesLabels
  }

  enum CodingKeys: String, CodingKey {
    case temperature
    case baseTemperature = "base_temperature"
    case contrastMode = "contrast_mode"
    case usesLabels = "uses_labels"
  }
}

/// How often a run logs, snapshots and checkpoints.
public struct LoggingSettings: Sendable, Equatable, Codable {
  /// A `metrics.jsonl` and `scores.jsonl` record every this many steps (and the last).
  public var logEvery: Int
  /// Held-out features every this many epochs (and after the last).
  public var snapshotEvery: Int
  /// `checkpoints/last.safetensors` every this many steps (and at every epoch end).
  public var checkpointEvery: Int
  /// Bins of the score histograms over [−1, 1].
  public var histogramBins: Int

  public init(logEvery: Int, snapshotEvery: Int, checkpointEvery: Int, histogramBins: Int) {
    self.logEvery = logEvery
    self.snapshotEvery = snapshotEvery
    self.checkpointEvery = checkpointEvery
    self.histogramBins = histogramBins
  }

  enum CodingKeys: String, CodingKey {
    case logEvery = "log_every"
    case snapshotEvery = "snapshot_every"
    case checkpointEvery = "checkpoint_every"
    case histogramBins = "histogram_bins"
  }
}
