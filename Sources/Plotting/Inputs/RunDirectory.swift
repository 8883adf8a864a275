import Engine
import Foundation

/// A run directory (DESIGN.md, "The run directory"): finds the files the figures read.
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
    self.path = path
    let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
    name = URL(fileURLWithPath: trimmed).lastPathComponent
  }

  /// The path of `relative` inside the run.
  public func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

  /// Whether the run has the file `relative`.
  public func contains(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: file(relative)) }

  /// Where the plot commands write: `figures/` inside the run.
  public var figuresDirectory: String { file("figures") }

  /// The `<tag>`s of files named `<prefix><tag><suffix>` in `folder`, sorted.
  public func tags(in folder: String, prefix: String, suffix: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: file(folder))) ?? []
    return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) && $0.count > prefix.count + suffix.count }
      .map { String($0.dropFirst(prefix.count).dropLast(suffix.count)) }.sorted()
  }

  /// Tags with a t-SNE embedding (`analysis/tsne-<tag>.npy`).
  public var tsneTags: [String] { tags(in: "analysis", prefix: "tsne-", suffix: ".npy") }

  /// Tags with features (`features/<tag>.npy`, not their labels or positives).
  public var featureTags: [String] {
    tags(in: "features", prefix: "", suffix: ".npy").filter { !$0.hasSuffix(".labels") && !$0.hasSuffix(".positives") }
  }

  /// Tags with an alignment/uniformity result (`analysis/align-uniform-<tag>.json`).
  public var alignUniformTags: [String] { tags(in: "analysis", prefix: "align-uniform-", suffix: ".json") }

  /// The robustness results present (`analysis/robustness-<norm>.json`), l-infinity first.
  public var robustnessFiles: [String] {
    AttackNorm.allCases.map { "analysis/robustness-\($0.rawValue).json" }.filter(contains).map(file)
  }

  /// `requested`, or the only tag there is; an error lists the choices otherwise.
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
    guard tags.count == 1 else {
      throw FileError(path, "several \(what)s (\(tags.joined(separator: ", "))); choose one with --tag")
    }
    return only
  }

  /// The t-SNE embedding with tag `tag`, coloured by `features/<tag>.labels.npy`.
  public func embedding(tag: String) throws(FileError) -> Embedding {
    let embeddingPath = file("analysis/tsne-\(tag).npy")
    let points = try RunFiles.readMatrix(embeddingPath, columns: 2)
    let labelsPath = file("features/\(tag).labels.npy")
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

  /// The settings `clens tsne` saved with the embedding (`analysis/tsne-<tag>.json`),
  /// for the figure's sidecar; nil when there is no such file.
  public func tsneMetadata(tag: String) throws(FileError) -> TSNEMetadata? {
    contains("analysis/tsne-\(tag).json") ? try RunFiles.readTSNEMetadata(file("analysis/tsne-\(tag).json")) : nil
  }

  /// The features with tag `tag`, with their labels, positives and alignment/uniformity
  /// result when those files exist.
  public func featureSet(tag: String) throws(FileError) -> FeatureSet {
    let labels = "features/\(tag).labels.npy", positives = "features/\(tag).positives.npy"
    var set = try RunFiles.readFeatureSet(
      name: name, features: file("features/\(tag).npy"), labels: contains(labels) ? file(labels) : nil,
      positives: contains(positives) ? file(positives) : nil)
    if contains("analysis/align-uniform-\(tag).json") {
      let result = try RunFiles.readAlignUniform(file("analysis/align-uniform-\(tag).json"))
      set.alignment = result.alignment
      set.uniformity = result.uniformity
    }
    return set
  }
}
