import Analysis
import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat

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
    let directory = try RunDirectory(run)
    let tag = try tag ?? directory.defaultFeatureTag()
    let files = directory.features(tag)
    return Resolved(
      features: files.features, labels: files.existingLabels, positives: files.existingPositives, run: (run, tag))
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
    /// Class names: a dataset's, or those stored with a run.
    var classNames: [String]?
  }

  /// Reads the features and labels: from the files, or the pixels of `--dataset` scaled
  /// to [0, 1] (one row per image), `--limit` sampled with `seed`. With `views`, a
  /// dataset's features and positives are two views of each image augmented by that
  /// recipe, as a method's training sees them (`ImageSet.augmentedViews`).
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
      let transform = views.transform(height: images.height, width: images.width, normalization: nil)
      let pair = images.augmentedViews(transform, views: 2, seed: seed, threads: threads)
      let columns = pair[0].count / images.count
      return Loaded(
        features: FeatureMatrix(rows: images.count, columns: columns, values: pair[0]), labels: images.labels,
        positives: nil, augmentedPositives: FeatureMatrix(rows: images.count, columns: columns, values: pair[1]),
        run: nil, origin: origin + " (two views by \(views))", classNames: images.classNames)
    }
    let files = try resolve()
    let features = try FeatureMatrix.read(files.features)
    let labels = try files.labels.map { path throws(FileError) in
      try LabelVector.read(path, expectedCount: features.rows)
    }
    let classNames = try files.run.flatMap { run throws(FileError) in try RunDirectory(run.directory).classNames() }
    return Loaded(
      features: features, labels: labels, positives: files.positives, augmentedPositives: nil, run: files.run,
      origin: files.features, classNames: classNames)
  }
}
