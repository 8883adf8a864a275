/// Alignment, uniformity and class structure of a feature set
/// (`analysis/align-uniform-<tag>.json`). Alignment is absent when the features had no
/// positives; files made elsewhere need only `uniformity`.
public struct AlignUniformReport: Sendable, Equatable, Codable {
  /// ℓ_uniform(t) over all pairs of the features (the headline number).
  public var uniformity: Double
  /// ℓ_uniform(t) of the positives (second view); nil without positives.
  public var uniformityPositives: Double?
  /// Mean of both views' uniformity (SsnL/align_uniform's loss term); nil without positives.
  public var uniformityBothViews: Double?
  /// ℓ_align(α) over positive pairs; nil without positives.
  public var alignment: Double?
  /// The uniformity of points spread uniformly on the sphere of this dimension.
  public var uniformityBound: Double?
  public var n: Int?
  public var dim: Int?
  public var alpha: Double?
  public var t: Double?
  public var threads: Int?
  /// ℓ_uniform within each class, keyed by label.
  public var perClassUniformity: [String: Double]?
  public var intraClassDistance: Double?
  public var interClassDistance: Double?
  /// Wang & Liu's tolerance: mean cosine similarity of same-class pairs.
  public var tolerance: Double?
  public var toleranceUnconditional: Double?
  /// Leave-one-out cosine kNN accuracy.
  public var knnAccuracy: Double?
  public var knnNeighbors: Int?
  /// Held-out accuracy of a logistic-regression probe.
  public var linearProbeAccuracy: Double?
  public var linearProbeTestFraction: Double?
  public var seconds: Double?
  /// Figures drawn with `--plot`.
  public var figures: [String]?

  public init(uniformity: Double, alignment: Double? = nil) {
    self.uniformity = uniformity
    self.alignment = alignment
  }

  enum CodingKeys: String, CodingKey {
    case uniformity, alignment, n, dim, alpha, t, threads, tolerance, seconds, figures
    case uniformityBound = "uniformity_bound"
    case uniformityPositives = "uniformity_positives"
    case uniformityBothViews = "uniformity_both_views"
    case perClassUniformity = "per_class_uniformity"
    case intraClassDistance = "intra_class_distance"
    case interClassDistance = "inter_class_distance"
    case toleranceUnconditional = "tolerance_unconditional"
    case knnAccuracy = "knn_accuracy"
    case knnNeighbors = "knn_neighbors"
    case linearProbeAccuracy = "linear_probe_accuracy"
    case linearProbeTestFraction = "linear_probe_test_fraction"
  }
}
