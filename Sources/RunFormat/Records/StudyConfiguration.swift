/// What `clens study` runs (`study.json` in its output folder, or `--config FILE`): the
/// dataset, the pre-training methods and their budget, the fine-tuning budget and the
/// analyses' sizes. Two presets, `quick` and `standard`, fill every field; a config file
/// may give any subset of them over the `standard` preset.
public struct StudyConfiguration: Sendable, Equatable, Codable {
  /// A named budget.
  public enum Budget: String, Sendable, CaseIterable, Codable {
    /// About two minutes on two cores: a smoke run of every stage.
    case quick
    /// About fifteen minutes on two cores: the figures the README shows.
    case standard
  }

  public var dataset: String
  public var dataDirectory: String?
  public var seed: UInt64
  /// Pre-training methods: simclr, supcon, moco, moco-ft (MoCo + Feature Transformation),
  /// selfcon or fnc. The backbone with the best kNN validation accuracy is fine-tuned.
  public var methods: [String]
  public var pretraining: Stage
  public var fineTuning: Stage
  /// Images attacked per norm and eps for the robustness curves.
  public var robustnessImages: Int
  /// PGD steps of each attack.
  public var attackSteps: Int
  /// Held-out images in every feature snapshot (t-SNE, alignment/uniformity).
  public var evaluationImages: Int
  /// Base width of the ResNet-18.
  public var width: Int

  /// The budget of one kind of training run.
  public struct Stage: Sendable, Equatable, Codable {
    /// Training images (a seeded, class-stratified sample).
    public var images: Int
    public var epochs: Int
    public var batchSize: Int
    /// Fine-tuning only: mini-batches per optimizer step (`finetune --accumulation`;
    /// none: its default, 4, the released Core-tuning code's).
    public var accumulation: Int?

    public init(images: Int, epochs: Int, batchSize: Int, accumulation: Int? = nil) {
      self.images = images
      self.epochs = epochs
      self.batchSize = batchSize
      self.accumulation = accumulation
    }

    enum CodingKeys: String, CodingKey {
      case images, epochs, accumulation
      case batchSize = "batch_size"
    }
  }

  public init(
    dataset: String, dataDirectory: String? = nil, seed: UInt64, methods: [String], pretraining: Stage,
    fineTuning: Stage, robustnessImages: Int, attackSteps: Int, evaluationImages: Int, width: Int
  ) {
    self.dataset = dataset
    self.dataDirectory = dataDirectory
    self.seed = seed
    self.methods = methods
    self.pretraining = pretraining
    self.fineTuning = fineTuning
    self.robustnessImages = robustnessImages
    self.attackSteps = attackSteps
    self.evaluationImages = evaluationImages
    self.width = width
  }

  /// The preset of `budget` on Fashion-MNIST: SimCLR, MoCo v2 and MoCo v2 + FT.
  public static func preset(_ budget: Budget) -> StudyConfiguration {
    switch budget {
    case .quick:
      StudyConfiguration(
        dataset: "fashion-mnist", seed: 0, methods: ["simclr", "moco", "moco-ft"],
        pretraining: Stage(images: 2048, epochs: 2, batchSize: 128),
        fineTuning: Stage(images: 2048, epochs: 2, batchSize: 32, accumulation: 1),
        robustnessImages: 100, attackSteps: 5, evaluationImages: 500, width: 8)
    case .standard:
      StudyConfiguration(
        dataset: "fashion-mnist", seed: 0, methods: ["simclr", "moco", "moco-ft"],
        pretraining: Stage(images: 12_000, epochs: 3, batchSize: 256),
        fineTuning: Stage(images: 10_000, epochs: 3, batchSize: 64, accumulation: 1), robustnessImages: 300, attackSteps: 20,
        evaluationImages: 2000, width: 16)
    }
  }

  /// The names `methods` may hold.
  public static let methodNames = ["simclr", "supcon", "moco", "moco-ft", "selfcon", "fnc"]

  enum CodingKeys: String, CodingKey {
    case dataset, seed, methods, width
    case dataDirectory = "data_dir"
    case pretraining = "pretraining"
    case fineTuning = "fine_tuning"
    case robustnessImages = "robustness_images"
    case attackSteps = "attack_steps"
    case evaluationImages = "evaluation_images"
  }

  /// Every field given in the file, the `standard` preset for the rest.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let base = StudyConfiguration.preset(.standard)
    dataset = try c.decodeIfPresent(String.self, forKey: .dataset) ?? base.dataset
    dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory)
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? base.seed
    methods = try c.decodeIfPresent([String].self, forKey: .methods) ?? base.methods
    pretraining = try c.decodeIfPresent(Stage.self, forKey: .pretraining) ?? base.pretraining
    fineTuning = try c.decodeIfPresent(Stage.self, forKey: .fineTuning) ?? base.fineTuning
    robustnessImages = try c.decodeIfPresent(Int.self, forKey: .robustnessImages) ?? base.robustnessImages
    attackSteps = try c.decodeIfPresent(Int.self, forKey: .attackSteps) ?? base.attackSteps
    evaluationImages = try c.decodeIfPresent(Int.self, forKey: .evaluationImages) ?? base.evaluationImages
    width = try c.decodeIfPresent(Int.self, forKey: .width) ?? base.width
  }

  /// Why the configuration cannot run, if it cannot.
  public var problem: String? {
    if methods.isEmpty { return "methods: at least one pre-training method" }
    if let unknown = methods.first(where: { !Self.methodNames.contains($0) }) {
      return "methods: unknown '\(unknown)' (\(Self.methodNames.joined(separator: ", ")))"
    }
    if Set(methods).count != methods.count { return "methods: each method once" }
    for (name, stage) in [("pretraining", pretraining), ("fine_tuning", fineTuning)] {
      if stage.images < 2 || stage.epochs < 1 || stage.batchSize < 2 {
        return "\(name): images and batch_size must be at least 2, epochs at least 1"
      }
      if stage.batchSize > stage.images { return "\(name): batch_size \(stage.batchSize) is more than its \(stage.images) images" }
    }
    if pretraining.accumulation != nil { return "pretraining: accumulation applies to fine-tuning only" }
    let accumulation = fineTuning.accumulation ?? 4
    if accumulation < 1 { return "fine_tuning: accumulation must be at least 1" }
    // Fine-tuning holds 10 % of its images out for validation.
    if Int((Double(fineTuning.images) * 0.9).rounded()) < fineTuning.batchSize * accumulation {
      return "fine_tuning: \(fineTuning.images) images (less 10 % for validation) give no step of \(accumulation) x \(fineTuning.batchSize)"
    }
    if robustnessImages < 1 || attackSteps < 1 || evaluationImages < 10 || width < 1 {
      return "robustness_images, attack_steps and width must be at least 1, evaluation_images at least 10"
    }
    return nil
  }
}
