import Analysis
import ArgumentParser
import Engine
import Foundation

/// Where an analysis command reads its features: explicit files, a run directory whose
/// `features/<tag>.npy` (with `.labels.npy`, `.positives.npy` beside it) follows
/// DESIGN.md's file formats, or the raw pixels of a dataset (the baseline every learned
/// representation is compared with).
struct FeatureInputOptions: ParsableArguments {
  @Option(help: "Features, float [N, D] .npy (instead of --run).")
  var features: String?

  @Option(help: "Class labels, integer [N] .npy (optional).")
  var labels: String?

  @Option(help: "A run directory; reads features/<tag>.npy and writes analysis/ there.")
  var run: String?

  @Option(help: "Which features/<tag>.npy of the run (default: the only one there).")
  var tag: String?

  @OptionGroup(title: "Pixels as features (--dataset instead of --features or --run)")
  var data: DatasetOptions

  /// Whether the features are a dataset's pixels.
  var usesDataset: Bool { data.dataset != nil }

  func validate() throws {
    switch [features != nil, run != nil, usesDataset].filter({ $0 }).count {
    case 0: throw ValidationError("give --features FILE.npy, --run DIR or --dataset NAME")
    case 1: break
    default: throw ValidationError("give only one of --features, --run and --dataset")
    }
    if !usesDataset && (data.dataDir != nil || data.split != nil || data.limit != nil) {
      throw ValidationError("--data-dir, --split and --limit apply only with --dataset")
    }
    if usesDataset && labels != nil {
      throw ValidationError("with --dataset the labels are the dataset's")
    }
    if run == nil && tag != nil { throw ValidationError("--tag only applies with --run") }
    if run != nil && labels != nil {
      throw ValidationError("with --run the labels come from features/<tag>.labels.npy")
    }
  }

  /// The resolved input files.
  struct Resolved {
    var features: String
    /// Labels file, if one was given or the run has one.
    var labels: String?
    /// `features/<tag>.positives.npy` of a run, if present.
    var positives: String?
    /// The run directory and tag, when reading a run.
    var run: (directory: String, tag: String)?
  }

  func resolve() throws -> Resolved {
    if let features {
      return Resolved(features: features, labels: labels, positives: nil, run: nil)
    }
    guard let run else { throw ValidationError("give --features FILE.npy or --run DIR") }
    let directory = (run as NSString).appendingPathComponent("features")
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw FileError(directory, "no such directory (is \(run) a run directory?)")
    }
    let tag = try tag ?? onlyTag(in: directory)
    let base = (directory as NSString).appendingPathComponent(tag)
    func existing(_ path: String) -> String? {
      FileManager.default.fileExists(atPath: path) ? path : nil
    }
    return Resolved(
      features: base + ".npy", labels: existing(base + ".labels.npy"),
      positives: existing(base + ".positives.npy"),
      run: (run, tag))
  }

  /// Features ready for an analysis, with where they came from.
  struct Loaded {
    var features: FeatureMatrix
    var labels: [Int]?
    /// `features/<tag>.positives.npy` of a run, if present.
    var positives: String?
    /// The run directory and tag, when reading a run.
    var run: (directory: String, tag: String)?
    /// What error messages name: the features file, or the dataset and split.
    var origin: String
    /// Class names, when the features are a dataset's pixels.
    var classNames: [String]?
  }

  /// Reads the features and labels: from the files, or the pixels of `--dataset` scaled
  /// to [0, 1] (one row per image), `--limit` sampled with `seed`.
  func load(seed: UInt64, threads: ThreadCount) throws -> Loaded {
    if usesDataset {
      let images = try data.load(seed: seed, threads: threads)
      let pixels = images.pixels.map { Float($0) / 255 }
      return Loaded(
        features: FeatureMatrix(rows: images.count, columns: images.imageSize, values: pixels),
        labels: images.labels, positives: nil, run: nil,
        origin: "\(data.kind.rawValue) \((data.split ?? .test).rawValue) pixels",
        classNames: images.classNames)
    }
    let files = try resolve()
    let features = try FeatureMatrix.read(files.features)
    let labels = try files.labels.map { path throws(FileError) in
      try LabelVector.read(path, expectedCount: features.rows)
    }
    return Loaded(
      features: features, labels: labels, positives: files.positives, run: files.run, origin: files.features,
      classNames: nil)
  }

  private func onlyTag(in directory: String) throws -> String {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let tags = names.filter {
      $0.hasSuffix(".npy") && !$0.hasSuffix(".labels.npy") && !$0.hasSuffix(".positives.npy")
    }
    .map { String($0.dropLast(4)) }.sorted()
    guard tags.count == 1, let tag = tags.first else {
      let found = tags.isEmpty ? "none" : tags.joined(separator: ", ")
      throw FileError(directory, "choose a feature set with --tag (found: \(found))")
    }
    return tag
  }
}

/// Prints warnings on stderr, one line each.
func printWarning(_ message: String) {
  FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

/// One JSON object, keys sorted, as `--json` prints and analysis/*.json stores it.
func jsonText(_ object: [String: Any]) throws -> String {
  let data = try JSONSerialization.data(
    withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
  return String(decoding: data, as: UTF8.self)
}
