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
  /// The contrastive loss (pre-training, and Core-tuning's contrastive term).
  public var loss: LossSettings?
  public var logging: LoggingSettings
  /// What fine-tuning starts from and how (fine-tuning runs only).
  public var fineTuning: FineTuningSettings?
  /// MoCo's queue, key encoder and Feature Transformation (MoCo runs only).
  public var moco: MoCoSettings?
  /// FNC's detection, strategy and memory (FNC runs only).
  public var fnc: FNCSettings?

  public init(
    tool: String, command: String, method: String, seed: UInt64, threads: Int, data: DataSettings,
    model: ModelArchitecture, optimization: OptimizationSettings, loss: LossSettings?, logging: LoggingSettings,
    fineTuning: FineTuningSettings? = nil, moco: MoCoSettings? = nil, fnc: FNCSettings? = nil
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
    self.fineTuning = fineTuning
    self.moco = moco
    self.fnc = fnc
  }

  enum CodingKeys: String, CodingKey {
    case tool, command, method, seed, threads, data, model, optimization, loss, logging, moco, fnc
    case fineTuning = "fine_tuning"
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

/// The network a run trains: a ResNet encoder, an MLP projection head and, for
/// fine-tuning, a linear classifier on the encoder's features. Stored in `config.json`
/// and in every checkpoint, so a checkpoint rebuilds its own model.
public struct ModelArchitecture: Sendable, Equatable, Codable {
  /// A linear classifier on the encoder's pooled features.
  public struct Classifier: Sendable, Equatable, Codable {
    /// Number of classes.
    public var classes: Int
    /// Whether the layer has a bias (Core-tuning's has none).
    public var bias: Bool

    public init(classes: Int, bias: Bool) {
      self.classes = classes
      self.bias = bias
    }
  }

  /// The encoder (without `fc`; its normalisation is part of it).
  public var encoder: ResNetConfiguration
  /// Widths of the projection head after the encoder's features: hidden layers, then
  /// the embedding (SimCLR/SupCon: [D, 128]); empty for no head.
  public var headWidths: [Int]
  /// The classifier, for fine-tuning; nil for pre-training.
  public var classifier: Classifier?
  /// SelfCon's sub-network exit; nil for a single-exit network.
  public var exit: Exit?
  /// Whether the projection heads have BatchNorm after each hidden layer (Linear → BN →
  /// ReLU → Linear). Absent in a file: false.
  public var headBatchNorm: Bool

  /// A sub-network attached after an encoder stage (SelfCon, shared/spec/methods.md §3.2),
  /// with a projection head of its own (the backbone head's widths).
  public struct Exit: Sendable, Equatable, Codable {
    /// The stage (1, 2 or 3) whose output the sub-network reads.
    public var stage: Int
    /// "fc" (pool, then a linear layer to the feature width), "small" (private copies of
    /// the remaining stages with half their blocks) or "same" (with all their blocks).
    public var size: String

    public init(stage: Int, size: String) {
      self.stage = stage
      self.size = size
    }
  }

  public init(
    encoder: ResNetConfiguration, headWidths: [Int], classifier: Classifier? = nil, exit: Exit? = nil,
    headBatchNorm: Bool = false
  ) {
    self.encoder = encoder
    self.headWidths = headWidths
    self.classifier = classifier
    self.exit = exit
    self.headBatchNorm = headBatchNorm
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    encoder = try c.decode(ResNetConfiguration.self, forKey: .encoder)
    headWidths = try c.decode([Int].self, forKey: .headWidths)
    classifier = try c.decodeIfPresent(Classifier.self, forKey: .classifier)
    exit = try c.decodeIfPresent(Exit.self, forKey: .exit)
    headBatchNorm = try c.decodeIfPresent(Bool.self, forKey: .headBatchNorm) ?? false
  }

  /// Length of the embedding the head outputs.
  public var embeddingDimension: Int { headWidths.last ?? encoder.featureDimension }

  enum CodingKeys: String, CodingKey {
    case encoder, classifier, exit
    case headWidths = "head_widths"
    case headBatchNorm = "head_batch_norm"
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

/// What fine-tuning starts from, which labels it sees and how it trains (`clens finetune`).
public struct FineTuningSettings: Sendable, Equatable, Codable {
  /// The backbone as the user named it: a run directory, a checkpoint or safetensors weights.
  public var source: String
  /// "run", "checkpoint" or "weights".
  public var sourceKind: String
  /// For weights: the key prefix removed before loading (e.g. `module.encoder_q.`).
  public var stripPrefix: String?
  /// For a PyTorch checkpoint: the entry holding the state dict (nil: found as
  /// `PyTorchCheckpoint.stateDict` finds it).
  public var stateDictKey: String?
  /// The labelled subset: "all", a percentage ("10%") or images per class ("100").
  public var labelled: String
  /// Images of the validation split carved (seeded, class-stratified) from the training
  /// split before the labelled subset is drawn; model selection uses it, never the test split.
  public var validationCount: Int
  /// Mini-batches whose gradients are summed (each loss divided by their number) before
  /// one optimizer step.
  public var accumulationSteps: Int
  /// Nesterov momentum.
  public var nesterov: Bool
  /// Core-tuning's settings; nil for CE-tuning.
  public var core: CoreTuningSettings?
  /// Adversarial training; nil for standard training.
  public var adversarial: AdversarialTrainingSettings?

  public init(
    source: String, sourceKind: String, stripPrefix: String?, labelled: String, validationCount: Int,
    accumulationSteps: Int, nesterov: Bool, core: CoreTuningSettings?, adversarial: AdversarialTrainingSettings?,
    stateDictKey: String? = nil
  ) {
    self.source = source
    self.stateDictKey = stateDictKey
    self.sourceKind = sourceKind
    self.stripPrefix = stripPrefix
    self.labelled = labelled
    self.validationCount = validationCount
    self.accumulationSteps = accumulationSteps
    self.nesterov = nesterov
    self.core = core
    self.adversarial = adversarial
  }

  enum CodingKeys: String, CodingKey {
    case source, labelled, nesterov, core, adversarial
    case sourceKind = "source_kind"
    case stripPrefix = "strip_prefix"
    case stateDictKey = "state_dict_key"
    case validationCount = "validation_count"
    case accumulationSteps = "accumulation_steps"
  }
}

/// Core-tuning (shared/spec/methods.md §1): soft-label cross-entropy on original and
/// generated feature rows plus η times the focal supervised contrastive loss.
public struct CoreTuningSettings: Sendable, Equatable, Codable {
  /// η, the weight of the contrastive term (the README's 0.1; argparse's default is 10).
  public var eta: Double
  /// α of the Beta(α, α) mixing coefficients.
  public var mixupAlpha: Double
  /// The floor of the hard negatives' partner weight λ (0.8).
  public var negativeFloor: Double
  /// "paper" (the least similar same-class sample) or "reference" (the released code's
  /// argmin over the masked similarity matrix, with its fallback to the anchor).
  public var hardPositive: String
  /// Whether the original rows are detached, so only generated rows reach the encoder
  /// (the released code's behaviour).
  public var detachOriginals: Bool
  /// The focal loss's per-anchor normaliser: "rows" (1/N over all 3B rows, the released
  /// code) or "positives" (1/|P(i)|, as SupCon).
  public var normalizer: String
  /// τ and τ_b of the focal loss (0.07 and 0.07, hard-coded in the reference).
  public var temperature: Double
  public var baseTemperature: Double

  public init(
    eta: Double, mixupAlpha: Double, negativeFloor: Double, hardPositive: String, detachOriginals: Bool,
    normalizer: String, temperature: Double, baseTemperature: Double
  ) {
    self.eta = eta
    self.mixupAlpha = mixupAlpha
    self.negativeFloor = negativeFloor
    self.hardPositive = hardPositive
    self.detachOriginals = detachOriginals
    self.normalizer = normalizer
    self.temperature = temperature
    self.baseTemperature = baseTemperature
  }

  enum CodingKeys: String, CodingKey {
    case eta, normalizer, temperature
    case mixupAlpha = "mixup_alpha"
    case negativeFloor = "negative_floor"
    case hardPositive = "hard_positive"
    case detachOriginals = "detach_originals"
    case baseTemperature = "base_temperature"
  }
}

/// Adversarial training: every training batch is replaced by PGD adversarial examples of
/// the current model (the paper's AT-CE and AT-Core).
public struct AdversarialTrainingSettings: Sendable, Equatable, Codable {
  /// "linf" or "l2".
  public var norm: String
  /// ε in pixel units of images in [0, 1].
  public var eps: Double
  public var steps: Int
  /// α in pixel units.
  public var stepSize: Double

  public init(norm: String, eps: Double, steps: Int, stepSize: Double) {
    self.norm = norm
    self.eps = eps
    self.steps = steps
    self.stepSize = stepSize
  }

  enum CodingKeys: String, CodingKey {
    case norm, eps, steps
    case stepSize = "step_size"
  }
}

/// MoCo v2 (shared/spec/methods.md §0.3, §2): the queue of negatives, the key encoder's
/// momentum, shuffle-BN, and Feature Transformation when it is on.
public struct MoCoSettings: Sendable, Equatable, Codable {
  /// K, keys in the queue.
  public var queueSize: Int
  /// m of the key encoder's moving average.
  public var momentum: Double
  /// Groups the key batch is encoded in with their own BatchNorm statistics (shuffle-BN on one process).
  public var shuffleGroups: Int
  /// Feature Transformation; nil for plain MoCo.
  public var featureTransform: FeatureTransformSettings?

  public init(queueSize: Int, momentum: Double, shuffleGroups: Int, featureTransform: FeatureTransformSettings?) {
    self.queueSize = queueSize
    self.momentum = momentum
    self.shuffleGroups = shuffleGroups
    self.featureTransform = featureTransform
  }

  enum CodingKeys: String, CodingKey {
    case momentum
    case queueSize = "queue_size"
    case shuffleGroups = "shuffle_groups"
    case featureTransform = "feature_transform"
  }
}

/// Feature Transformation's settings (the README's: α_p 2.0, α_n 1.6, extrapolation,
/// one coefficient per step).
public struct FeatureTransformSettings: Sendable, Equatable, Codable {
  public var positiveAlpha: Double
  public var negativeAlpha: Double
  /// Extrapolate the positive pair (λ ∈ [1, 2]) or interpolate it.
  public var extrapolate: Bool
  /// "none", "positive", "negative" or "both": which coefficients are drawn per element.
  public var perElement: String
  /// The first epoch (0-based) that transforms; plain MoCo before it (the reference's
  /// `mix_start_epoch`). Absent in a file: 0.
  public var startEpoch: Int

  public init(positiveAlpha: Double, negativeAlpha: Double, extrapolate: Bool, perElement: String, startEpoch: Int = 0) {
    self.positiveAlpha = positiveAlpha
    self.negativeAlpha = negativeAlpha
    self.extrapolate = extrapolate
    self.perElement = perElement
    self.startEpoch = startEpoch
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    positiveAlpha = try c.decode(Double.self, forKey: .positiveAlpha)
    negativeAlpha = try c.decode(Double.self, forKey: .negativeAlpha)
    extrapolate = try c.decode(Bool.self, forKey: .extrapolate)
    perElement = try c.decode(String.self, forKey: .perElement)
    startEpoch = try c.decodeIfPresent(Int.self, forKey: .startEpoch) ?? 0
  }

  enum CodingKeys: String, CodingKey {
    case extrapolate
    case positiveAlpha = "positive_alpha"
    case negativeAlpha = "negative_alpha"
    case perElement = "per_element"
    case startEpoch = "start_epoch"
  }
}

/// False Negative Cancellation (shared/spec/methods.md §4); the views are the data's
/// (2 + support views).
public struct FNCSettings: Sendable, Equatable, Codable {
  /// k: at most this many false negatives per image.
  public var topK: Int
  /// θ: a false negative's score must exceed it.
  public var threshold: Double
  /// "attraction" (the released code) or "elimination".
  public var strategy: String
  /// "max" (the released code) or "mean" over the image's views.
  public var aggregation: String
  /// Memory rows as a multiple of the batch size (FNC's memory_multiplier); 0: no memory.
  public var memoryMultiplier: Int
  /// Decay of the EMA model that fills the memory.
  public var emaDecay: Double

  public init(topK: Int, threshold: Double, strategy: String, aggregation: String, memoryMultiplier: Int, emaDecay: Double) {
    self.topK = topK
    self.threshold = threshold
    self.strategy = strategy
    self.aggregation = aggregation
    self.memoryMultiplier = memoryMultiplier
    self.emaDecay = emaDecay
  }

  enum CodingKeys: String, CodingKey {
    case threshold, strategy, aggregation
    case topK = "top_k"
    case memoryMultiplier = "memory_multiplier"
    case emaDecay = "ema_decay"
  }
}
