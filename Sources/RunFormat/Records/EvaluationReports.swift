/// A linear evaluation of a frozen encoder (`analysis/linear-eval.json`): logistic
/// regression on its features, the L2 penalty chosen on a validation split.
public struct LinearEvalReport: Sendable, Equatable, Codable {
  /// The encoder's source (run, checkpoint or weights).
  public var backbone: String
  public var trainCount: Int
  public var validationCount: Int
  public var testCount: Int
  /// The penalties tried, and the validation and test accuracy of each.
  public var l2: [Double]
  public var validationAccuracy: [Double]
  public var testAccuracy: [Double]
  /// The penalty with the best validation accuracy, and its test accuracy: the number to report.
  public var selectedL2: Double
  public var selectedTestAccuracy: Double
  /// The best test accuracy over the grid: selected on the test split, as some released
  /// code reports; never the number to report.
  public var bestOnTestAccuracy: Double
  public var seconds: Double
  /// A SelfCon encoder's other heads: a probe on the sub-network's features ("sub") and
  /// the mean of both probes' logits ("ensemble"), each over the same grid.
  public var heads: [LinearEvalHead]?

  public init(
    backbone: String, trainCount: Int, validationCount: Int, testCount: Int, l2: [Double],
    validationAccuracy: [Double], testAccuracy: [Double], selectedL2: Double, selectedTestAccuracy: Double,
    bestOnTestAccuracy: Double, seconds: Double, heads: [LinearEvalHead]? = nil
  ) {
    self.backbone = backbone
    self.trainCount = trainCount
    self.validationCount = validationCount
    self.testCount = testCount
    self.l2 = l2
    self.validationAccuracy = validationAccuracy
    self.testAccuracy = testAccuracy
    self.selectedL2 = selectedL2
    self.selectedTestAccuracy = selectedTestAccuracy
    self.bestOnTestAccuracy = bestOnTestAccuracy
    self.seconds = seconds
    self.heads = heads
  }

  enum CodingKeys: String, CodingKey {
    case backbone, l2, seconds, heads
    case trainCount = "train_count"
    case validationCount = "validation_count"
    case testCount = "test_count"
    case validationAccuracy = "validation_accuracy"
    case testAccuracy = "test_accuracy"
    case selectedL2 = "selected_l2"
    case selectedTestAccuracy = "selected_test_accuracy"
    case bestOnTestAccuracy = "best_on_test_accuracy"
  }
}

/// One more linear head of a multi-exit encoder, over the report's grid of penalties.
public struct LinearEvalHead: Sendable, Equatable, Codable {
  /// "sub" or "ensemble".
  public var name: String
  public var validationAccuracy: [Double]
  public var testAccuracy: [Double]
  /// Chosen on validation, as the backbone's.
  public var selectedL2: Double
  public var selectedTestAccuracy: Double

  public init(name: String, validationAccuracy: [Double], testAccuracy: [Double], selectedL2: Double, selectedTestAccuracy: Double) {
    self.name = name
    self.validationAccuracy = validationAccuracy
    self.testAccuracy = testAccuracy
    self.selectedL2 = selectedL2
    self.selectedTestAccuracy = selectedTestAccuracy
  }

  enum CodingKeys: String, CodingKey {
    case name
    case validationAccuracy = "validation_accuracy"
    case testAccuracy = "test_accuracy"
    case selectedL2 = "selected_l2"
    case selectedTestAccuracy = "selected_test_accuracy"
  }
}

/// A weighted kNN evaluation of a frozen encoder (`analysis/knn-eval.json`): the training
/// features are the memory, each test feature's k nearest vote with weight exp(s/τ).
public struct KNNEvalReport: Sendable, Equatable, Codable {
  public var backbone: String
  public var k: Int
  public var temperature: Double
  public var trainCount: Int
  public var testCount: Int
  public var testAccuracy: Double
  public var validationAccuracy: Double?
  public var seconds: Double

  public init(
    backbone: String, k: Int, temperature: Double, trainCount: Int, testCount: Int, testAccuracy: Double,
    validationAccuracy: Double?, seconds: Double
  ) {
    self.backbone = backbone
    self.k = k
    self.temperature = temperature
    self.trainCount = trainCount
    self.testCount = testCount
    self.testAccuracy = testAccuracy
    self.validationAccuracy = validationAccuracy
    self.seconds = seconds
  }

  enum CodingKeys: String, CodingKey {
    case backbone, k, temperature, seconds
    case trainCount = "train_count"
    case testCount = "test_count"
    case testAccuracy = "test_accuracy"
    case validationAccuracy = "validation_accuracy"
  }
}
