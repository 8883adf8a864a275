import Engine
import Foundation
import RunFormat

/// The figures' inputs read from run-directory files.
extension RunDirectory {
  /// The t-SNE embedding with tag `tag`, coloured by `features/<tag>.labels.npy`.
  public func embedding(tag: String) throws(FileError) -> Embedding {
    let embeddingPath = tsneEmbedding(tag)
    let points = try RunFiles.readMatrix(embeddingPath, columns: 2)
    let labelsPath = features(tag).labels
    let labels = try RunFiles.readLabels(labelsPath)
    guard labels.count == points.rows else {
      throw FileError(labelsPath, "\(labels.count) labels for the \(points.rows) points of \(embeddingPath)")
    }
    do {
      return try Embedding(points: points.values, labels: labels, title: name)
    } catch {
      throw FileError(embeddingPath, error.message)
    }
  }

  /// The features with tag `tag`, with their labels, positives and alignment/uniformity
  /// result when those files exist.
  public func featureSet(tag: String) throws(FileError) -> FeatureSet {
    let files = features(tag)
    var set = try FeatureSet.read(
      name: name, features: files.features, labels: files.existingLabels, positives: files.existingPositives)
    if let result = try alignUniformReport(tag) {
      set.alignment = result.alignment
      set.uniformity = result.uniformity
    }
    return set
  }
}

extension FeatureSet {
  /// Features [N, D] with their labels [N] and positives [N, D] when given, checked
  /// against each other.
  public static func read(
    name: String, features featuresPath: String, labels labelsPath: String?, positives positivesPath: String?
  ) throws(FileError) -> FeatureSet {
    let features = try RunFiles.readMatrix(featuresPath)
    var set = FeatureSet(name: name, values: features.values, dimension: features.columns)
    if let labelsPath {
      let labels = try RunFiles.readLabels(labelsPath)
      guard labels.count == features.rows else {
        throw FileError(labelsPath, "\(labels.count) labels for the \(features.rows) rows of \(featuresPath)")
      }
      set.labels = labels
    }
    if let positivesPath {
      let positives = try RunFiles.readMatrix(positivesPath, columns: features.columns)
      guard positives.rows == features.rows else {
        throw FileError(positivesPath, "\(positives.rows) rows, but \(featuresPath) has \(features.rows)")
      }
      set.positives = positives.values
    }
    return set
  }
}

extension RobustnessReport {
  /// The curve to draw, named `name`.
  public func curve(name: String) -> RobustnessCurve {
    RobustnessCurve(
      name: name, norm: norm, eps: eps, robustAccuracy: robustAccuracy, cleanAccuracy: cleanAccuracy,
      interval: robustAccuracyCi95.count == eps.count ? robustAccuracyCi95 : nil,
      attack: attackLabel, images: n)
  }

  /// The attack as a title or legend names it: "PGD-20", "APGD-CE-100", "AutoAttack", …
  public var attackLabel: String? {
    guard let attack else { return nil }
    switch attack.name {
    case "autoattack": return attack.version == "rand" ? "AutoAttack (rand)" : "AutoAttack"
    case "square": return "Square-\(attack.queries ?? attack.steps)"
    case "apgd": return "APGD-CE-\(attack.steps)"
    default: return "\(attack.name.uppercased())-\(attack.steps)"
    }
  }

  /// The curves of one model's results. When they hold several attacks of one norm (PGD
  /// and AutoAttack side by side) each is named by its attack, after `name` when the
  /// figure shows other models too (`alone` false); otherwise each is named `name`.
  public static func curves(_ reports: [RobustnessReport], name: String, alone: Bool = false) -> [RobustnessCurve] {
    reports.map { report in
      guard reports.filter({ $0.norm == report.norm }).count > 1 else { return report.curve(name: name) }
      let attack = report.attackLabel ?? "unknown attack"
      return report.curve(name: alone ? attack : "\(name), \(attack)")
    }
  }
}

extension TSNEReport {
  /// The numbers a caption should state (spec §6), keyed for a figure's notes.
  public var notes: [String: Double] {
    ["perplexity": perplexity, "iterations": Double(iterations), "kl_divergence": klDivergence, "n": Double(n)]
  }
}
