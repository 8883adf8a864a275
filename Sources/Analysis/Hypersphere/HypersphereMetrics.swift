import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Alignment, uniformity and class-structure numbers of a feature set, all on
/// L2-normalised features z = f/‖f‖ (Wang & Isola 2020; Wang & Liu 2021).
public struct HypersphereMetrics: Sendable {
  /// Number of feature vectors.
  public var n: Int
  /// Feature dimension.
  public var dimension: Int
  /// L_align(α) = mean ‖z_i − z⁺_i‖^α over positive pairs (nil without positives).
  public var alignment: Double?
  /// L_uniform(t) over all pairs of the features: the headline, comparable with feature
  /// sets that have no positives.
  public var uniformity: Double
  /// L_uniform(t) of the positives (the second view); nil without positives.
  public var positivesUniformity: Double?
  /// The mean uniformity of both views, the term of SsnL/align_uniform's training loss
  /// `align + λ (L_uniform(x) + L_uniform(y)) / 2`; nil without positives.
  public var bothViewsUniformity: Double? { positivesUniformity.map { ($0 + uniformity) / 2 } }
  /// L*(d, t): uniformity of the uniform distribution on the sphere of this dimension.
  public var uniformityBound: Double
  /// L_uniform(t) within each class (classes with at least two points).
  public var perClassUniformity: [Int: Double]
  /// Mean over classes of the mean distance ‖z − μ_c‖ to the class mean μ_c.
  public var intraClassDistance: Double?
  /// Mean distance between two class means, over all pairs of classes.
  public var interClassDistance: Double?
  /// Tolerance (Wang & Liu): mean cosine similarity z_i·z_j over same-class pairs i ≠ j.
  public var tolerance: Double?
  /// The unconditional form E_{i≠j}[z_i·z_j · 1{same class}] (≈ tolerance / C for C
  /// balanced classes).
  public var toleranceUnconditional: Double?

  /// Computes every number the inputs allow. Throws for mismatched shapes, non-finite or
  /// all-zero rows, or fewer than two points.
  public static func measure(
    features: FeatureMatrix, positives: FeatureMatrix? = nil, labels: [Int]? = nil,
    alpha: Double = 2, t: Double = 2, threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) throws(AnalysisInputError) -> HypersphereMetrics {
    try features.requireFinite()
    guard features.rows >= 2 else {
      throw AnalysisInputError("uniformity needs at least 2 points, got \(features.rows)")
    }
    guard features.columns >= 2 else {
      throw AnalysisInputError("features must have at least 2 dimensions")
    }
    let z = try features.l2Normalized()
    var alignment: Double?
    var positivesUniformity: Double?
    if let positives {
      guard positives.rows == features.rows, positives.columns == features.columns else {
        throw AnalysisInputError(
          "positives have shape [\(positives.rows), \(positives.columns)], features [\(features.rows), \(features.columns)]"
        )
      }
      try positives.requireFinite()
      let zPositive = try positives.l2Normalized()
      alignment = Alignment.value(z, zPositive, alpha: alpha)
      positivesUniformity = Uniformity.value(zPositive, t: t, threads: threads)
    }
    if let labels {
      guard labels.count == features.rows else {
        throw AnalysisInputError("\(labels.count) labels for \(features.rows) feature rows")
      }
    }
    let uniformity = Uniformity.value(z, t: t, threads: threads, progress: progress)
    var metrics = HypersphereMetrics(
      n: features.rows, dimension: features.columns, alignment: alignment, uniformity: uniformity,
      positivesUniformity: positivesUniformity,
      uniformityBound: Uniformity.uniformSphere(dimension: features.columns, t: t),
      perClassUniformity: [:])
    if let labels { metrics.addClassStructure(z, labels: labels, t: t, threads: threads) }
    return metrics
  }

  private mutating func addClassStructure(
    _ z: FeatureMatrix, labels: [Int], t: Double, threads: ThreadCount
  ) {
    let d = z.columns
    var members = [Int: [Int]]()
    for (i, label) in labels.enumerated() { members[label, default: []].append(i) }
    let classes = members.keys.sorted()
    var means = [[Double]]()
    var intra = 0.0
    var sameDot = 0.0
    var samePairs = 0.0
    for label in classes {
      let rows = members[label] ?? []
      var sum = [Double](repeating: 0, count: d)
      for i in rows { for j in 0..<d { sum[j] += Double(z.values[i * d + j]) } }
      // Σ_{i≠j} z_i·z_j = ‖Σ z‖² − Σ‖z‖² within the class.
      var squared = 0.0
      var norms = 0.0
      for j in 0..<d { squared += sum[j] * sum[j] }
      for i in rows {
        for j in 0..<d { norms += Double(z.values[i * d + j]) * Double(z.values[i * d + j]) }
      }
      sameDot += squared - norms
      samePairs += Double(rows.count) * Double(rows.count - 1)
      let mean = sum.map { $0 / Double(rows.count) }
      means.append(mean)
      var spread = 0.0
      for i in rows {
        var s = 0.0
        for j in 0..<d {
          let e = Double(z.values[i * d + j]) - mean[j]
          s += e * e
        }
        spread += s.squareRoot()
      }
      intra += spread / Double(rows.count)
      if rows.count >= 2 {
        perClassUniformity[label] = Uniformity.value(
          z.selecting(rows: rows), t: t, threads: threads)
      }
    }
    intraClassDistance = intra / Double(classes.count)
    if classes.count >= 2 {
      var between = 0.0
      var pairs = 0.0
      for a in 0..<classes.count {
        for b in (a + 1)..<classes.count {
          var s = 0.0
          for j in 0..<d { s += (means[a][j] - means[b][j]) * (means[a][j] - means[b][j]) }
          between += s.squareRoot()
          pairs += 1
        }
      }
      interClassDistance = between / pairs
    }
    if samePairs > 0 { tolerance = sameDot / samePairs }
    toleranceUnconditional = sameDot / (Double(n) * Double(n - 1))
  }
}

/// Alignment of Wang & Isola (2020): L_align(α) = mean over pairs of ‖z_i − z⁺_i‖^α.
public enum Alignment {
  /// L_align(α) of row-aligned unit vectors `z` and `positives`, in Double.
  public static func value(_ z: FeatureMatrix, _ positives: FeatureMatrix, alpha: Double = 2)
    -> Double
  {
    precondition(
      z.rows == positives.rows && z.columns == positives.columns, "Alignment: shapes differ")
    let d = z.columns
    var total = 0.0
    for i in 0..<z.rows {
      var s = 0.0
      for j in 0..<d {
        let e = Double(z.values[i * d + j]) - Double(positives.values[i * d + j])
        s += e * e
      }
      total += alpha == 2 ? s : pow(s, alpha / 2)
    }
    return total / Double(z.rows)
  }
}
