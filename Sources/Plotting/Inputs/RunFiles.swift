import Engine
import Foundation

/// What `clens tsne` writes next to an embedding (`analysis/tsne-<tag>.json`).
public struct TSNEMetadata: Sendable, Equatable, Decodable {
  /// The numbers a caption should state (spec §6), keyed for a figure's notes.
  public var notes: [String: Double] {
    var notes = [String: Double]()
    if let perplexity { notes["perplexity"] = perplexity }
    if let iterations { notes["iterations"] = Double(iterations) }
    if let klDivergence { notes["kl_divergence"] = klDivergence }
    if let n { notes["n"] = Double(n) }
    return notes
  }

  /// The perplexity the affinities were calibrated to.
  public var perplexity: Double?
  /// Optimisation iterations run.
  public var iterations: Int?
  /// How repulsion was computed ("exact", "bh" or "fft").
  public var method: String?
  /// The final KL divergence.
  public var klDivergence: Double?
  /// Number of points.
  public var n: Int?

  enum CodingKeys: String, CodingKey {
    case perplexity, iterations, method, n
    case klDivergence = "kl_divergence"
  }
}

/// The alignment and uniformity of a run's features (`analysis/align-uniform-<tag>.json`).
public struct AlignUniformResult: Sendable, Equatable, Decodable {
  /// ℓ_align (α = 2) over positive pairs.
  public var alignment: Double
  /// ℓ_uniform (t = 2) over all pairs.
  public var uniformity: Double
  /// Number of points.
  public var n: Int?
  /// Feature dimension.
  public var dim: Int?
  /// ℓ_uniform within each class, keyed by label.
  public var perClassUniformity: [String: Double]?

  enum CodingKeys: String, CodingKey {
    case alignment, uniformity, n, dim
    case perClassUniformity = "per_class_uniformity"
  }
}

/// Robust accuracy over an ε grid against one norm (`analysis/robustness-<norm>.json`).
public struct RobustnessResult: Sendable, Equatable {
  /// The threat model.
  public var norm: AttackNorm
  /// Number of points.
  public var n: Int?
  /// Accuracy without attack.
  public var cleanAccuracy: Double
  /// Attack radii, in input units.
  public var eps: [Double]
  /// Accuracy under attack at each radius.
  public var robustAccuracy: [Double]

  /// The curve to draw, named `name`.
  public func curve(name: String) -> RobustnessCurve {
    RobustnessCurve(name: name, norm: norm, eps: eps, robustAccuracy: robustAccuracy, cleanAccuracy: cleanAccuracy)
  }
}

/// Readers of the files in a run directory, following the formats in DESIGN.md ("File
/// formats inside a run"). Every problem is a `FileError` naming the file (and line).
public enum RunFiles {
  /// `metrics.jsonl`: one object per logged step with `step` and `loss` (and usually
  /// `epoch`, `lr`, `accuracy`, and loss parts as `loss_<name>`).
  public static func readMetrics(_ path: String) throws(FileError) -> [MetricsRecord] {
    try JSONInput.decodeLines(MetricsLine.self, path: path).map(\.record)
  }

  /// `scores.jsonl`: one object per logged step with the moments (and histograms) of the
  /// positive and negative cosine scores.
  public static func readScores(_ path: String) throws(FileError) -> [ScoreRecord] {
    let lines = try JSONInput.decodeLines(ScoreLine.self, path: path)
    var records = [ScoreRecord]()
    for (index, line) in lines.enumerated() {
      do {
        records.append(try line.record())
      } catch {
        throw FileError(path, "record \(index + 1) (step \(line.step)): \(error.message)")
      }
    }
    return records
  }

  /// `analysis/robustness-<norm>.json`.
  public static func readRobustness(_ path: String) throws(FileError) -> RobustnessResult {
    let file = try JSONInput.decode(RobustnessFile.self, from: Array(AtomicFile.read(path)), path: path)
    guard let norm = AttackNorm(rawValue: file.norm) else {
      throw FileError(path, "norm '\(file.norm)' is neither 'linf' nor 'l2'")
    }
    guard file.eps.count == file.robustAccuracy.count else {
      throw FileError(path, "\(file.eps.count) eps values but \(file.robustAccuracy.count) robust accuracies")
    }
    guard !file.eps.isEmpty else { throw FileError(path, "the eps list is empty") }
    return RobustnessResult(
      norm: norm, n: file.n, cleanAccuracy: file.cleanAccuracy, eps: file.eps, robustAccuracy: file.robustAccuracy)
  }

  /// `analysis/align-uniform-<tag>.json`.
  public static func readAlignUniform(_ path: String) throws(FileError) -> AlignUniformResult {
    try JSONInput.decode(AlignUniformResult.self, from: Array(AtomicFile.read(path)), path: path)
  }

  /// `analysis/tsne-<tag>.json`.
  public static func readTSNEMetadata(_ path: String) throws(FileError) -> TSNEMetadata {
    try JSONInput.decode(TSNEMetadata.self, from: Array(AtomicFile.read(path)), path: path)
  }

  /// A float [N, `columns`] array (`features/<tag>.npy`, `analysis/tsne-<tag>.npy`);
  /// `columns` nil accepts any width. Returns the values row-major and the shape.
  public static func readMatrix(_ path: String, columns: Int? = nil) throws(FileError) -> (
    values: [Float], rows: Int, columns: Int
  ) {
    let array = try NPYArray.read(path)
    guard array.shape.count == 2 else {
      throw FileError(path, "expected a 2-D array [N, \(columns.map(String.init) ?? "D")], found shape \(array.shape)")
    }
    if let columns, array.shape[1] != columns {
      throw FileError(path, "expected \(columns) columns, found shape \(array.shape)")
    }
    guard array.shape[0] > 0 else { throw FileError(path, "the array has no rows") }
    return (array.floats(), array.shape[0], array.shape[1])
  }

  /// Features [N, D] (`features/<tag>.npy`) with their labels [N] and positives [N, D]
  /// when given, checked against each other.
  public static func readFeatureSet(
    name: String, features featuresPath: String, labels labelsPath: String?, positives positivesPath: String?
  ) throws(FileError) -> FeatureSet {
    let features = try readMatrix(featuresPath)
    var set = FeatureSet(name: name, values: features.values, dimension: features.columns)
    if let labelsPath {
      let labels = try readLabels(labelsPath)
      guard labels.count == features.rows else {
        throw FileError(labelsPath, "\(labels.count) labels for the \(features.rows) rows of \(featuresPath)")
      }
      set.labels = labels
    }
    if let positivesPath {
      let positives = try readMatrix(positivesPath, columns: features.columns)
      guard positives.rows == features.rows else {
        throw FileError(positivesPath, "\(positives.rows) rows, but \(featuresPath) has \(features.rows)")
      }
      set.positives = positives.values
    }
    return set
  }

  /// Class labels (`features/<tag>.labels.npy`, int64 [N]); whole numbers ≥ 0.
  public static func readLabels(_ path: String) throws(FileError) -> [Int] {
    let array = try NPYArray.read(path)
    guard array.shape.count == 1 else {
      throw FileError(path, "expected a 1-D array of labels, found shape \(array.shape)")
    }
    guard let labels = array.integers() else { throw FileError(path, "labels must be whole numbers") }
    if let negative = labels.first(where: { $0 < 0 }) { throw FileError(path, "labels must be ≥ 0, found \(negative)") }
    return labels
  }
}

private struct MetricsLine: Decodable {
  let record: MetricsRecord

  init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    var parts = [String: Double]()
    for key in container.allKeys where key.stringValue.hasPrefix("loss_") {
      parts[String(key.stringValue.dropFirst(5))] = try container.decode(Double.self, forKey: key)
    }
    record = MetricsRecord(
      step: try container.decode(Int.self, forKey: AnyKey("step")),
      epoch: try container.decodeIfPresent(Double.self, forKey: AnyKey("epoch")),
      loss: try container.decode(Double.self, forKey: AnyKey("loss")),
      learningRate: try container.decodeIfPresent(Double.self, forKey: AnyKey("lr")),
      accuracy: try container.decodeIfPresent(Double.self, forKey: AnyKey("accuracy")), lossParts: parts)
  }
}

private struct ScoreLine: Decodable {
  struct Moments: Decodable {
    struct Bins: Decodable {
      let edges: [Double]
      let counts: [Double]
    }
    let mean: Double
    let variance: Double
    let count: Int
    let histogram: Bins?
  }

  let step: Int
  let epoch: Double?
  let positive: Moments
  let negative: Moments

  func record() throws(PlotError) -> ScoreRecord {
    func convert(_ moments: Moments, _ name: String) throws(PlotError) -> ScoreMoments {
      var histogram: Histogram?
      if let bins = moments.histogram {
        guard bins.edges.count == bins.counts.count + 1 else {
          throw PlotError(
            "\(name) histogram has \(bins.counts.count) counts but \(bins.edges.count) edges (need one more edge)")
        }
        guard zip(bins.edges, bins.edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
          throw PlotError("\(name) histogram edges are not increasing")
        }
        histogram = Histogram(edges: bins.edges, counts: bins.counts)
      }
      return ScoreMoments(mean: moments.mean, variance: moments.variance, count: moments.count, histogram: histogram)
    }
    return ScoreRecord(
      step: step, epoch: epoch, positive: try convert(positive, "positive"), negative: try convert(negative, "negative")
    )
  }
}

private struct RobustnessFile: Decodable {
  let norm: String
  let n: Int?
  let cleanAccuracy: Double
  let eps: [Double]
  let robustAccuracy: [Double]

  enum CodingKeys: String, CodingKey {
    case norm, n, eps
    case cleanAccuracy = "clean_accuracy"
    case robustAccuracy = "robust_accuracy"
  }
}
