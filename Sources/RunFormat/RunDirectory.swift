import Engine
import Foundation

/// A run directory (DESIGN.md, "The run directory"): the one place that knows where each
/// file of a run lives, and typed readers for them.
///
/// ```
/// config.json  metrics.jsonl  scores.jsonl
/// features/<tag>.npy (.labels.npy, .positives.npy)
/// checkpoints/last.safetensors, epoch-<k>.safetensors, index.json
/// analysis/tsne-<tag>.npy/.json, align-uniform-<tag>.json, robustness-<norm>[-<attack>].json
/// figures/
/// ```
public struct RunDirectory: Sendable {
  /// The directory as the user named it.
  public let path: String
  /// The run's name in legends and titles: the directory's last path component.
  public let name: String

  /// Fails unless `path` is an existing directory.
  public init(_ path: String) throws(FileError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw FileError(path, "no such run directory")
    }
    guard isDirectory.boolValue else { throw FileError(path, "is a file, expected a run directory") }
    self.init(unchecked: path)
  }

  /// A run directory that may not exist yet (a writer creates it).
  public init(unchecked path: String) {
    self.path = path
    let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
    name = URL(fileURLWithPath: trimmed).lastPathComponent
  }

  /// The path of `relative` inside the run.
  public func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

  /// Whether the run has the file `relative`.
  public func contains(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: file(relative)) }

  // MARK: - Where each file lives

  /// `config.json`.
  public var configurationFile: String { file("config.json") }
  /// `metrics.jsonl`.
  public var metricsFile: JSONLinesFile<MetricsRecord> { JSONLinesFile(file("metrics.jsonl")) }
  /// `scores.jsonl`.
  public var scoresFile: JSONLinesFile<ScoreRecord> { JSONLinesFile(file("scores.jsonl")) }
  /// `checkpoints/`.
  public var checkpointsDirectory: String { file("checkpoints") }
  /// `checkpoints/<name>.safetensors`.
  public func checkpoint(_ name: String) -> String { file("checkpoints/\(name).safetensors") }
  /// `checkpoints/last.safetensors`, the newest checkpoint.
  public var lastCheckpoint: String { checkpoint("last") }
  /// `checkpoints/index.json`.
  public var checkpointIndexFile: String { file("checkpoints/index.json") }
  /// The files of feature set `tag` (`features/<tag>.npy` and its companions).
  public func features(_ tag: String) -> FeatureFiles { FeatureFiles(base: file("features/\(tag)")) }
  /// `analysis/tsne-<tag>.npy`, the embedding.
  public func tsneEmbedding(_ tag: String) -> String { file("analysis/tsne-\(tag).npy") }
  /// `analysis/tsne-<tag>.json`.
  public func tsneReportFile(_ tag: String) -> String { file("analysis/tsne-\(tag).json") }
  /// `analysis/align-uniform-<tag>.json`.
  public func alignUniformReportFile(_ tag: String) -> String { file("analysis/align-uniform-\(tag).json") }
  /// `analysis/robustness-<norm>.json` for PGD (nil), `analysis/robustness-<norm>-<attack>.json`
  /// for any other attack (`autoattack`, `autoattack-rand`, `apgd`, …), so curves of
  /// several attacks on one model live side by side.
  public func robustnessReportFile(_ norm: PerturbationNorm, attack: String? = nil) -> String {
    file("analysis/\(Self.robustnessReportStem(norm, attack: attack)).json")
  }
  /// `robustness-<norm>[-<attack>]`, the name of a robustness report without its
  /// extension, in a run's `analysis/` or any folder `clens robustness` writes to.
  public static func robustnessReportStem(_ norm: PerturbationNorm, attack: String?) -> String {
    "robustness-\(norm.rawValue)" + (attack.map { "-" + $0 } ?? "")
  }
  /// `analysis/linear-eval.json`.
  public var linearEvalReportFile: String { file("analysis/linear-eval.json") }
  /// `analysis/knn-eval.json`.
  public var knnEvalReportFile: String { file("analysis/knn-eval.json") }
  /// Where the plot commands write: `figures/` inside the run.
  public var figuresDirectory: String { file("figures") }

  // MARK: - What the run holds

  /// The `<tag>`s of files named `<prefix><tag><suffix>` in `folder`, sorted.
  public func tags(in folder: String, prefix: String, suffix: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: file(folder))) ?? []
    return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) && $0.count > prefix.count + suffix.count }
      .map { String($0.dropFirst(prefix.count).dropLast(suffix.count)) }.sorted()
  }

  /// Tags with a t-SNE embedding (`analysis/tsne-<tag>.npy`).
  public var tsneTags: [String] { tags(in: "analysis", prefix: "tsne-", suffix: ".npy") }

  /// Tags with features (`features/<tag>.npy`, not their labels or positives), in
  /// natural order (`epoch-2` before `epoch-10`).
  public var featureTags: [String] {
    tags(in: "features", prefix: "", suffix: ".npy")
      .filter { !$0.hasSuffix(".labels") && !$0.hasSuffix(".positives") && !$0.hasSuffix(".logits") }
      .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
  }

  /// The feature set an analysis reads when none is named (see `chooseTag`).
  public func defaultFeatureTag() throws(FileError) -> String {
    try chooseTag(nil, from: featureTags, what: "feature set (features/<tag>.npy)")
  }

  /// The tag of the held-out features snapshot taken after `epoch` epochs.
  public static func snapshotTag(epoch: Int) -> String { "epoch-\(epoch)" }

  /// The epoch of a snapshot tag (`epoch-<k>`), nil for other tags.
  public static func snapshotEpoch(_ tag: String) -> Int? {
    tag.hasPrefix("epoch-") ? Int(tag.dropFirst(6)) : nil
  }

  /// Tags with an alignment/uniformity result (`analysis/align-uniform-<tag>.json`).
  public var alignUniformTags: [String] { tags(in: "analysis", prefix: "align-uniform-", suffix: ".json") }

  /// The robustness results present, l-infinity first, PGD's before other attacks'.
  public var robustnessFiles: [String] {
    PerturbationNorm.allCases.flatMap { norm in
      [robustnessReportFile(norm)].filter { FileManager.default.fileExists(atPath: $0) }
        + tags(in: "analysis", prefix: "robustness-\(norm.rawValue)-", suffix: ".json").map {
          robustnessReportFile(norm, attack: $0)
        }
    }
  }

  /// `requested`, or the only tag there is, or the newest snapshot (`epoch-<k>` with the
  /// largest k) when every tag is one, as a training run leaves them; an error lists the
  /// choices otherwise.
  public func chooseTag(_ requested: String?, from tags: [String], what: String) throws(FileError) -> String {
    if let requested {
      guard tags.contains(requested) else {
        throw FileError(
          path, "no \(what) with tag '\(requested)'" + (tags.isEmpty ? "" : " (found: \(tags.joined(separator: ", ")))")
        )
      }
      return requested
    }
    guard let only = tags.first else { throw FileError(path, "no \(what) found") }
    let snapshots = tags.compactMap { tag in Self.snapshotEpoch(tag).map { (tag, $0) } }
    if tags.count > 1 && snapshots.count == tags.count, let newest = snapshots.max(by: { $0.1 < $1.1 }) {
      return newest.0
    }
    guard tags.count == 1 else {
      throw FileError(path, "several of \(what): \(tags.joined(separator: ", ")); choose one with --tag")
    }
    return only
  }

  // MARK: - Typed readers

  /// The run's settings, when it was made by a training command.
  public func configuration() throws(FileError) -> RunConfiguration? {
    contains("config.json") ? try JSONInput.read(RunConfiguration.self, from: configurationFile) : nil
  }

  /// The class names stored with the run (`config.json`), if any.
  public func classNames() throws(FileError) -> [String]? { try configuration()?.data.classNames }

  /// The checkpoints saved so far (empty when there is no index).
  public func checkpointIndex() throws(FileError) -> CheckpointIndex {
    contains("checkpoints/index.json")
      ? try JSONInput.read(CheckpointIndex.self, from: checkpointIndexFile) : CheckpointIndex()
  }

  /// The t-SNE report of `tag`, when there is one.
  public func tsneReport(_ tag: String) throws(FileError) -> TSNEReport? {
    contains("analysis/tsne-\(tag).json") ? try RunFiles.readTSNEReport(tsneReportFile(tag)) : nil
  }

  /// The alignment/uniformity report of `tag`, when there is one.
  public func alignUniformReport(_ tag: String) throws(FileError) -> AlignUniformReport? {
    contains("analysis/align-uniform-\(tag).json") ? try RunFiles.readAlignUniform(alignUniformReportFile(tag)) : nil
  }
}

/// The files of one feature set: `<base>.npy` (float32 [N, D]), `<base>.labels.npy`
/// (int64 [N]), `<base>.positives.npy` (float32 [N, D], a second view of the same
/// images, row-aligned, for alignment) and `<base>.logits.npy` (float32 [N, classes], a
/// classifier's outputs).
public struct FeatureFiles: Sendable, Equatable {
  /// The path without `.npy`.
  public let base: String

  public init(base: String) { self.base = base }

  public var features: String { base + ".npy" }
  public var labels: String { base + ".labels.npy" }
  public var positives: String { base + ".positives.npy" }
  public var logits: String { base + ".logits.npy" }

  /// The labels file, if present.
  public var existingLabels: String? { FileManager.default.fileExists(atPath: labels) ? labels : nil }
  /// The positives file, if present.
  public var existingPositives: String? { FileManager.default.fileExists(atPath: positives) ? positives : nil }

  /// Writes the set atomically, file by file (features last, so a set whose features
  /// exist is complete). Stale positives and logits of an earlier set are removed when
  /// none are given.
  public func write(features: [Float], rows: Int, labels: [Int]?, positives: [Float]?, logits: [Float]? = nil)
    throws(FileError)
  {
    precondition(rows > 0 && features.count % rows == 0, "FeatureFiles.write: features are not [rows, D]")
    let dimension = features.count / rows
    if let labels {
      try NPYArray(shape: [labels.count], int64s: labels.map(Int64.init)).write(to: self.labels)
    }
    if let positives {
      precondition(positives.count == features.count, "FeatureFiles.write: positives differ in shape")
      try NPYArray(shape: [rows, dimension], floats: positives).write(to: self.positives)
    } else {
      try? FileManager.default.removeItem(atPath: self.positives)
    }
    if let logits {
      precondition(logits.count % rows == 0, "FeatureFiles.write: logits are not [rows, classes]")
      try NPYArray(shape: [rows, logits.count / rows], floats: logits).write(to: self.logits)
    } else {
      try? FileManager.default.removeItem(atPath: self.logits)
    }
    try NPYArray(shape: [rows, dimension], floats: features).write(to: self.features)
  }
}
