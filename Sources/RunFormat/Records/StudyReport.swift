/// What a `clens study` measured (`report.json`, rendered as `report.md`): every number
/// read from the study's run directories, none computed twice.
public struct StudyReport: Sendable, Equatable, Codable {
  public var configuration: StudyConfiguration
  public var tool: String
  public var threads: Int
  public var pretraining: [Pretraining]
  /// The pre-training run fine-tuned: the best kNN accuracy on the validation split.
  public var backbone: String
  public var fineTuning: [FineTuning]
  public var robustness: [Robustness]
  /// Wall time of each stage, in the order run.
  public var stages: [Stage]
  public var figures: [Figure]

  /// One pre-training run.
  public struct Pretraining: Sendable, Equatable, Codable {
    public var method: String
    public var run: String
    public var finalLoss: Double
    /// Weighted 200-NN (knn-eval): test accuracy, and validation accuracy (what selects the backbone).
    public var knnTestAccuracy: Double
    public var knnValidationAccuracy: Double?
    /// Linear evaluation: test accuracy at the penalty chosen on validation.
    public var linearTestAccuracy: Double
    public var alignment: Double?
    public var uniformity: Double

    public init(
      method: String, run: String, finalLoss: Double, knnTestAccuracy: Double, knnValidationAccuracy: Double?,
      linearTestAccuracy: Double, alignment: Double?, uniformity: Double
    ) {
      self.method = method
      self.run = run
      self.finalLoss = finalLoss
      self.knnTestAccuracy = knnTestAccuracy
      self.knnValidationAccuracy = knnValidationAccuracy
      self.linearTestAccuracy = linearTestAccuracy
      self.alignment = alignment
      self.uniformity = uniformity
    }

    enum CodingKeys: String, CodingKey {
      case method, run, alignment, uniformity
      case finalLoss = "final_loss"
      case knnTestAccuracy = "knn_test_accuracy"
      case knnValidationAccuracy = "knn_validation_accuracy"
      case linearTestAccuracy = "linear_test_accuracy"
    }
  }

  /// One fine-tuning run.
  public struct FineTuning: Sendable, Equatable, Codable {
    public var method: String
    public var run: String
    /// Test accuracy at the epoch of the best validation accuracy (the selected model).
    public var testAccuracy: Double
    public var validationAccuracy: Double
    public var selectedStep: Int
    public var alignment: Double?
    public var uniformity: Double
    /// Of the last snapshot's test features (align-uniform's cosine kNN and linear probe).
    public var knnAccuracy: Double?
    public var linearProbeAccuracy: Double?

    public init(
      method: String, run: String, testAccuracy: Double, validationAccuracy: Double, selectedStep: Int,
      alignment: Double?, uniformity: Double, knnAccuracy: Double?, linearProbeAccuracy: Double?
    ) {
      self.method = method
      self.run = run
      self.testAccuracy = testAccuracy
      self.validationAccuracy = validationAccuracy
      self.selectedStep = selectedStep
      self.alignment = alignment
      self.uniformity = uniformity
      self.knnAccuracy = knnAccuracy
      self.linearProbeAccuracy = linearProbeAccuracy
    }

    enum CodingKeys: String, CodingKey {
      case method, run, alignment, uniformity
      case testAccuracy = "test_accuracy"
      case validationAccuracy = "validation_accuracy"
      case selectedStep = "selected_step"
      case knnAccuracy = "knn_accuracy"
      case linearProbeAccuracy = "linear_probe_accuracy"
    }
  }

  /// One robustness curve of a fine-tuned model.
  public struct Robustness: Sendable, Equatable, Codable {
    public var method: String
    public var norm: PerturbationNorm
    public var images: Int?
    public var cleanAccuracy: Double
    public var eps: [Double]
    public var robustAccuracy: [Double]
    public var checksPassed: Int
    public var checks: Int
    /// Names of the failed checks, errors first.
    public var failedChecks: [String]

    public init(
      method: String, norm: PerturbationNorm, images: Int?, cleanAccuracy: Double, eps: [Double],
      robustAccuracy: [Double], checksPassed: Int, checks: Int, failedChecks: [String]
    ) {
      self.method = method
      self.norm = norm
      self.images = images
      self.cleanAccuracy = cleanAccuracy
      self.eps = eps
      self.robustAccuracy = robustAccuracy
      self.checksPassed = checksPassed
      self.checks = checks
      self.failedChecks = failedChecks
    }

    enum CodingKeys: String, CodingKey {
      case method, norm, images, eps, checks
      case cleanAccuracy = "clean_accuracy"
      case robustAccuracy = "robust_accuracy"
      case checksPassed = "checks_passed"
      case failedChecks = "failed_checks"
    }
  }

  /// A stage and how long it took.
  public struct Stage: Sendable, Equatable, Codable {
    public var name: String
    public var seconds: Double

    public init(name: String, seconds: Double) {
      self.name = name
      self.seconds = seconds
    }
  }

  /// A figure the study drew (paths relative to the study folder, without extension).
  public struct Figure: Sendable, Equatable, Codable {
    public var file: String
    public var caption: String

    public init(file: String, caption: String) {
      self.file = file
      self.caption = caption
    }
  }

  public init(
    configuration: StudyConfiguration, tool: String, threads: Int, pretraining: [Pretraining], backbone: String,
    fineTuning: [FineTuning], robustness: [Robustness], stages: [Stage], figures: [Figure]
  ) {
    self.configuration = configuration
    self.tool = tool
    self.threads = threads
    self.pretraining = pretraining
    self.backbone = backbone
    self.fineTuning = fineTuning
    self.robustness = robustness
    self.stages = stages
    self.figures = figures
  }

  enum CodingKeys: String, CodingKey {
    case configuration, tool, threads, pretraining, backbone, robustness, stages, figures
    case fineTuning = "fine_tuning"
  }
}

/// Wall time of the stages a study has finished (`study-times.json`), so a resumed study
/// reports the time of stages run before the interruption.
public struct StudyTimes: Sendable, Equatable, Codable {
  public var stages: [StudyReport.Stage]

  public init(stages: [StudyReport.Stage] = []) { self.stages = stages }
}
