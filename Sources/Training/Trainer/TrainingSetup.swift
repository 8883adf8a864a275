import Datasets
import Engine
import RunFormat

/// The parts of a run built from its `RunConfiguration`: the same settings always give
/// the same initial model, optimizer and method.
public enum TrainingSetup {
  /// The methods `clens pretrain` trains.
  public static let methods = ["simclr", "supcon", "moco", "selfcon", "fnc"]
  /// The methods `clens finetune` trains.
  public static let fineTuningMethods = ["ce", "core"]

  /// Why a configuration cannot be built.
  public struct InvalidConfiguration: Error, CustomStringConvertible {
    public var description: String
  }

  /// The model, initialised from the seed's `.initialization` stream.
  public static func model(_ configuration: RunConfiguration) -> Network {
    var rng = RandomGenerator(seed: configuration.seed).stream(.initialization)
    return Network(configuration.model, rng: &rng)
  }

  /// SGD (momentum, coupled weight decay) or LARS over the model's parameters, BatchNorm
  /// parameters and biases in a group without weight decay when the settings say so.
  public static func optimizer(_ configuration: RunConfiguration, model: Network) throws(InvalidConfiguration)
    -> any Optimizer
  {
    let o = configuration.optimization
    let parameters = model.parameters()
    let groups = o.excludeNormAndBias ? ParameterGroup.excludingNormAndBias(parameters) : [ParameterGroup(parameters)]
    switch o.optimizer {
    case "sgd":
      return SGD(
        groups: groups, learningRate: Float(o.learningRate), momentum: Float(o.momentum),
        nesterov: configuration.fineTuning?.nesterov ?? false, weightDecay: Float(o.weightDecay))
    case "lars":
      return LARS(
        groups: groups, learningRate: Float(o.learningRate), momentum: Float(o.momentum),
        weightDecay: Float(o.weightDecay))
    default:
      throw InvalidConfiguration(description: "unknown optimizer '\(o.optimizer)' (sgd or lars)")
    }
  }

  /// The method the configuration names.
  /// `group` is the processes training together (their shards make each batch).
  public static func method(_ configuration: RunConfiguration, group: any ProcessGroup = SingleProcess())
    throws(InvalidConfiguration) -> any TrainingMethod
  {
    switch configuration.method {
    case "simclr", "supcon":
      guard let loss = configuration.loss, let mode = SupConLoss.ContrastMode(rawValue: loss.contrastMode) else {
        throw InvalidConfiguration(description: "\(configuration.method) needs loss settings with contrast mode all or one")
      }
      let usesLabels = configuration.method == "supcon"
      guard configuration.data.views >= (usesLabels ? 1 : 2) else {
        throw InvalidConfiguration(description: "\(configuration.method) needs at least \(usesLabels ? 1 : 2) views")
      }
      return SupConMethod(
        usesLabels: usesLabels, views: configuration.data.views,
        loss: SupConLoss(
          temperature: Float(loss.temperature), baseTemperature: Float(loss.baseTemperature), contrastMode: mode),
        histogramBins: configuration.logging.histogramBins, group: group)
    case "selfcon":
      guard let loss = configuration.loss, configuration.model.exit != nil, !configuration.model.headWidths.isEmpty,
        let mode = SupConLoss.ContrastMode(rawValue: loss.contrastMode)
      else {
        throw InvalidConfiguration(description: "selfcon needs loss settings, a sub-network exit and a projection head")
      }
      return SelfConMethod(
        usesLabels: loss.usesLabels,
        loss: SupConLoss(
          temperature: Float(loss.temperature), baseTemperature: Float(loss.baseTemperature), contrastMode: mode),
        histogramBins: configuration.logging.histogramBins)
    case "moco":
      guard let loss = configuration.loss, let moco = configuration.moco, !configuration.model.headWidths.isEmpty else {
        throw InvalidConfiguration(description: "moco needs loss and moco settings and a projection head")
      }
      guard configuration.data.views == 2 else { throw InvalidConfiguration(description: "moco trains on two views") }
      var transformation: FeatureTransformation?
      if let ft = moco.featureTransform {
        guard let perElement = FeatureTransformation.PerElement(rawValue: ft.perElement) else {
          throw InvalidConfiguration(description: "unknown per-element mode '\(ft.perElement)'")
        }
        transformation = FeatureTransformation(
          positiveAlpha: ft.positiveAlpha, negativeAlpha: ft.negativeAlpha, extrapolate: ft.extrapolate,
          perElement: perElement)
      }
      var rng = RandomGenerator(seed: configuration.seed).stream(.initialization).stream(1)
      return MoCoMethod(
        architecture: configuration.model, queueSize: moco.queueSize, momentum: Float(moco.momentum),
        temperature: Float(loss.temperature), shuffleGroups: moco.shuffleGroups, transformation: transformation,
        transformationStartEpoch: moco.featureTransform?.startEpoch ?? 0, histogramBins: configuration.logging.histogramBins,
        group: group, rng: &rng)
    case "fnc":
      guard let loss = configuration.loss, let fnc = configuration.fnc, !configuration.model.headWidths.isEmpty else {
        throw InvalidConfiguration(description: "fnc needs loss and fnc settings and a projection head")
      }
      guard let strategy = FalseNegativeCancellation.Strategy(rawValue: fnc.strategy),
        let aggregation = FalseNegativeCancellation.Aggregation(rawValue: fnc.aggregation)
      else {
        throw InvalidConfiguration(description: "unknown FNC strategy or aggregation in config.json")
      }
      let views = configuration.data.views
      let memorySize = fnc.memoryMultiplier * configuration.optimization.batchSize
      guard views >= 2, fnc.memoryMultiplier == 0 || fnc.memoryMultiplier >= views else {
        throw InvalidConfiguration(description: "fnc needs at least two views and a memory multiplier of 0 or at least the views (\(views))")
      }
      return FNCMethod(
        architecture: configuration.model, views: views,
        cancellation: FalseNegativeCancellation(
          temperature: Float(loss.temperature), topK: fnc.topK, threshold: Float(fnc.threshold), strategy: strategy,
          aggregation: aggregation),
        memorySize: memorySize, emaDecay: Float(fnc.emaDecay), histogramBins: configuration.logging.histogramBins,
        group: group)
    case "ce":
      guard configuration.model.classifier != nil else { throw InvalidConfiguration(description: "ce needs a classifier") }
      return CrossEntropyTuning()
    case "core":
      guard let core = configuration.fineTuning?.core, let classifier = configuration.model.classifier,
        !configuration.model.headWidths.isEmpty
      else {
        throw InvalidConfiguration(description: "core needs Core-tuning settings, a classifier and a projection head")
      }
      guard let hardPositive = HardPairMixing.HardPositive(rawValue: core.hardPositive),
        let normalizer = FocalSupConLoss.Normalizer(rawValue: core.normalizer)
      else {
        throw InvalidConfiguration(description: "unknown hard-positive mode or normaliser in config.json")
      }
      return CoreTuning(
        mixing: HardPairMixing(
          alpha: core.mixupAlpha, negativeFloor: core.negativeFloor, hardPositive: hardPositive,
          detachOriginals: core.detachOriginals),
        contrastive: FocalSupConLoss(
          temperature: Float(core.temperature), baseTemperature: Float(core.baseTemperature), normalizer: normalizer),
        eta: Float(core.eta), classes: classifier.classes, histogramBins: configuration.logging.histogramBins)
    default:
      throw InvalidConfiguration(
        description:
          "unknown method '\(configuration.method)' (\((methods + fineTuningMethods).joined(separator: ", ")))")
    }
  }

  /// The learning rate of every step.
  public static func schedule(_ configuration: RunConfiguration) throws(InvalidConfiguration) -> LearningRateSchedule {
    guard let schedule = TrainingSchedule(rawValue: configuration.optimization.schedule) else {
      throw InvalidConfiguration(
        description:
          "unknown schedule '\(configuration.optimization.schedule)' (\(TrainingSchedule.allCases.map(\.rawValue).joined(separator: " or ")))")
    }
    return schedule.rates(configuration.optimization)
  }

  /// The augmentation recipe of the training views.
  public static func recipe(_ configuration: RunConfiguration) throws(InvalidConfiguration) -> AugmentationRecipe {
    guard let recipe = AugmentationRecipe(name: configuration.data.recipe, supportViews: max(configuration.data.views - 2, 0))
    else {
      throw InvalidConfiguration(description: "unknown recipe '\(configuration.data.recipe)'")
    }
    return recipe
  }
}
