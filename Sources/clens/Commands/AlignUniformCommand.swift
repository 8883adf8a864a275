import Analysis
import ArgumentParser
import Datasets
import Dispatch
import Engine
import Foundation
import Plotting
import RunFormat

/// `clens align-uniform`: alignment, uniformity and class structure of features on the
/// unit hypersphere, plus feature-space kNN and linear-probe accuracy when labelled.
struct AlignUniformCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "align-uniform",
    abstract: "Alignment and uniformity (Wang & Isola) of L2-normalised features, per class too.",
    discussion: """
      Uniformity is the global estimator ln mean_{i<j} exp(−t‖z_i − z_j‖²) over all pairs, in \
      blocks with constant memory. Alignment needs positives (features of a second augmentation, \
      row-aligned). With labels: uniformity within each class, intra/inter-class distances, the \
      tolerance of Wang & Liu (mean cosine similarity of same-class pairs), leave-one-out kNN \
      accuracy by cosine similarity, and a linear probe (L-BFGS logistic regression, seeded 80/20 \
      split). With --run the numbers go to analysis/align-uniform-<tag>.json.
      """)

  @OptionGroup var input: FeatureInputOptions

  @Option(help: "Features of a second augmentation, row-aligned with --features (.npy).")
  var positives: String?

  @Option(help: "Alignment power α.")
  var alpha = 2.0

  @Option(help: "Uniformity temperature t.")
  var t = 2.0

  @Option(help: "Neighbours for the cosine kNN accuracy (0: skip).")
  var knn = 10

  @Flag(inversion: .prefixedNo, help: "Fit a linear probe when labels are given.")
  var probe = true

  @Option(
    help: ArgumentHelp(
      "With --dataset: use two views of each image augmented by this recipe as features and positives.",
      discussion: "Recipes: \(AugmentationRecipe.names.joined(separator: ", ")); e.g. simclr, as SimCLR's training sees the images.",
      valueName: "recipe"))
  var views: String?

  @OptionGroup var common: CommonOptions

  @OptionGroup var output: AnalysisOutputOptions

  func validate() throws {
    try requirePositiveNumbers([("--alpha", alpha), ("--t", t)])
    if knn < 0 { throw ValidationError("--knn must not be negative") }
    if input.run != nil && positives != nil {
      throw ValidationError("with --run the positives come from features/<tag>.positives.npy")
    }
    if views != nil && !input.usesDataset {
      throw ValidationError("--views applies only with --dataset (it augments the dataset's images)")
    }
    if let views, AugmentationRecipe(name: views) == nil {
      throw ValidationError("unknown --views recipe '\(views)': use \(AugmentationRecipe.names.joined(separator: ", "))")
    }
    if input.usesDataset && positives != nil {
      throw ValidationError("--positives must be row-aligned with --features; a dataset's pixels have none")
    }
  }

  /// The figure's name for a dataset's pixels, with the recipe when augmented (the
  /// dataset itself shows in the class legend).
  private var datasetName: String {
    "pixels" + (views.map { ", \($0) views" } ?? "")
  }

  func run() throws {
    let threadCount = common.threadCount
    let seed = common.seed
    let files = try input.load(seed: seed, threads: threadCount, views: views.flatMap { AugmentationRecipe(name: $0) })
    let features = files.features
    let positivesPath = positives ?? files.positives
    let positiveFeatures = try files.augmentedPositives ?? positivesPath.map { path throws(FileError) in
      try FeatureMatrix.read(path)
    }
    let labels = files.labels
    if let positiveFeatures, let positivesPath,
      positiveFeatures.rows != features.rows || positiveFeatures.columns != features.columns
    {
      throw FileError(
        positivesPath,
        "has shape [\(positiveFeatures.rows), \(positiveFeatures.columns)] but the features have [\(features.rows), \(features.columns)]"
      )
    }
    let progress = StagedProgress(quiet: !common.showsProgress)
    let start = DispatchTime.now()
    let metrics: HypersphereMetrics
    do {
      metrics = try HypersphereMetrics.measure(
        features: features, positives: positiveFeatures, labels: labels, alpha: alpha, t: t,
        threads: threadCount,
        progress: progress.callback("uniformity", unit: "blocks"))
    } catch {
      throw FileError(files.origin, error.problem)
    }
    var report = AlignUniformReport(uniformity: metrics.uniformity, alignment: metrics.alignment)
    report.uniformityBound = metrics.uniformityBound
    report.uniformityPositives = metrics.positivesUniformity
    report.uniformityBothViews = metrics.bothViewsUniformity
    report.n = metrics.n
    report.dim = metrics.dimension
    report.alpha = alpha
    report.t = t
    report.threads = threadCount.value
    if metrics.alignment == nil && positivesPath == nil {
      printWarning(
        "no positives given, so no alignment (pass --positives, --views RECIPE with --dataset, or `clens features --run DIR --views RECIPE` for a run)"
      )
    }
    if let labels {
      report.perClassUniformity = Dictionary(
        uniqueKeysWithValues: metrics.perClassUniformity.map { (String($0.key), $0.value) })
      report.intraClassDistance = metrics.intraClassDistance
      report.interClassDistance = metrics.interClassDistance
      report.tolerance = metrics.tolerance
      report.toleranceUnconditional = metrics.toleranceUnconditional
      do {
        if knn > 0 && knn < features.rows {
          report.knnAccuracy = try NeighborAccuracy.cosine(features, labels: labels, k: knn, threads: threadCount)
          report.knnNeighbors = knn
        }
        if probe && Set(labels).count >= 2 && features.rows >= 10 {
          report.linearProbeAccuracy = try LinearProbe.holdOutAccuracy(features, labels: labels, seed: seed)
          report.linearProbeTestFraction = 0.2
        }
      } catch {
        throw FileError(files.origin, error.problem)
      }
    }
    report.seconds = seconds(since: start)
    report.figures = try output.draw(input: files.origin, threads: threadCount) { style in
      var set = FeatureSet(
        name: files.run?.tag ?? (input.usesDataset ? datasetName : URL(fileURLWithPath: files.origin).deletingPathExtension().lastPathComponent),
        values: features.values, dimension: features.columns, labels: labels, positives: positiveFeatures?.values)
      set.alignment = metrics.alignment
      set.uniformity = metrics.uniformity
      return try HypersphereFigure.make([set], classNames: try output.classNames(or: files.classNames), seed: seed, style: style)
    }
    if let run = files.run {
      try JSONOutput.write(report, to: RunDirectory(unchecked: run.directory).alignUniformReportFile(run.tag))
    }
    if common.json {
      try common.printJSON(report)
    } else {
      var lines = [
        "uniformity \(format(metrics.uniformity)) (uniform sphere: \(format(metrics.uniformityBound))) over \(metrics.n) points in \(metrics.dimension) dimensions"
      ]
      if let a = metrics.alignment { lines.append("alignment \(format(a))") }
      if let p = metrics.positivesUniformity, let both = metrics.bothViewsUniformity {
        lines.append("uniformity of the positives \(format(p)), of both views (mean) \(format(both))")
      }
      if let tolerance = metrics.tolerance { lines.append("tolerance \(format(tolerance))") }
      if let v = report.knnAccuracy { lines.append("\(knn)-NN accuracy (cosine, leave-one-out) \(format(v))") }
      if let v = report.linearProbeAccuracy { lines.append("linear probe accuracy \(format(v))") }
      for path in report.figures ?? [] { lines.append("drew \(path)") }
      print(lines.joined(separator: "\n"))
    }
  }

  private func format(_ v: Double) -> String { String(format: "%.5f", v) }
}
