import Analysis
import ArgumentParser
import Datasets
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

  /// The input files of `--features` or `--run`, before reading.
  private struct Resolved {
    var features: String
    /// Labels file, if one was given or the run has one.
    var labels: String?
    /// `features/<tag>.positives.npy` of a run, if present.
    var positives: String?
    /// The run directory and tag, when reading a run.
    var run: (directory: String, tag: String)?
  }

  private func resolve() throws -> Resolved {
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
    /// Positives made here: the second augmented view of each image (`views`).
    var augmentedPositives: FeatureMatrix?
    /// The run directory and tag, when reading a run.
    var run: (directory: String, tag: String)?
    /// What error messages name: the features file, or the dataset and split.
    var origin: String
    /// Class names, when the features are a dataset's pixels.
    var classNames: [String]?
  }

  /// Reads the features and labels: from the files, or the pixels of `--dataset` scaled
  /// to [0, 1] (one row per image), `--limit` sampled with `seed`. With `views`, a
  /// dataset's features and positives are two views of each image augmented by that
  /// recipe, as a method's training sees them (image i's views come from stream i of
  /// `seed`, so any thread count gives the same views).
  func load(seed: UInt64, threads: ThreadCount, views: AugmentationRecipe? = nil) throws -> Loaded {
    if usesDataset {
      let images = try data.load(seed: seed, threads: threads)
      let origin = "\(data.kind.rawValue) \((data.split ?? .test).rawValue) pixels"
      guard let views else {
        let pixels = images.pixels.map { Float($0) / 255 }
        return Loaded(
          features: FeatureMatrix(rows: images.count, columns: images.imageSize, values: pixels),
          labels: images.labels, positives: nil, run: nil, origin: origin, classNames: images.classNames)
      }
      let (first, second) = Self.augmentedViews(images, recipe: views, seed: seed, threads: threads)
      return Loaded(
        features: first, labels: images.labels, positives: nil, augmentedPositives: second, run: nil,
        origin: origin + " (two views by \(views))", classNames: images.classNames)
    }
    let files = try resolve()
    let features = try FeatureMatrix.read(files.features)
    let labels = try files.labels.map { path throws(FileError) in
      try LabelVector.read(path, expectedCount: features.rows)
    }
    return Loaded(
      features: features, labels: labels, positives: files.positives, augmentedPositives: nil, run: files.run,
      origin: files.features, classNames: nil)
  }

  /// Two augmented views of every image, as pixel-feature matrices. A view that comes
  /// out blank (a small crop of empty background) is drawn again, up to ten times, since
  /// a zero vector has no direction on the hypersphere.
  private static func augmentedViews(
    _ images: ImageSet, recipe: AugmentationRecipe, seed: UInt64, threads: ThreadCount
  ) -> (FeatureMatrix, FeatureMatrix) {
    let transform = recipe.transform(height: images.height, width: images.width, normalization: nil)
    let size = images.imageSize
    var first = [Float](repeating: 0, count: images.count * size)
    var second = first
    let base = RandomGenerator(seed: seed)
    first.withUnsafeMutableBufferPointer { a in
      second.withUnsafeMutableBufferPointer { b in
        let (pa, pb) = (SendablePointer(a.baseAddress!), SendablePointer(b.baseAddress!))
        let ranges = evenRanges(images.count, parts: 8 * threads.value)
        parallelFor(chunks: ranges.count, threads: threads) { chunk in
          for i in ranges[chunk] {
            var rng = base.stream(UInt64(i))
            let image = images.image(i)
            func view() -> [Float] {
              var pixels = transform(image, using: &rng).pixels
              for _ in 0..<10 where !pixels.contains(where: { $0 != 0 }) {
                pixels = transform(image, using: &rng).pixels
              }
              return pixels
            }
            (pa.base + i * size).update(from: view(), count: size)
            (pb.base + i * size).update(from: view(), count: size)
          }
        }
      }
    }
    return (
      FeatureMatrix(rows: images.count, columns: size, values: first),
      FeatureMatrix(rows: images.count, columns: size, values: second)
    )
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
