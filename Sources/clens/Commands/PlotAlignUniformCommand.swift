import ArgumentParser
import Foundation
import Plotting
import RunFormat

/// `clens plot align-uniform`: the Wang & Isola hypersphere figure and the
/// alignment–uniformity plane.
struct PlotAlignUniformCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "align-uniform",
    abstract: "Draw features on the hypersphere (Wang & Isola) and the alignment-uniformity plane, one point per run.",
    discussion: """
      From each run directory reads features/<tag>.npy with its .labels.npy and .positives.npy, and \
      analysis/align-uniform-<tag>.json. 2-D features are drawn on the circle (density, angle densities per \
      class); higher-dimensional ones as cosine-similarity distributions, never projected. Writes <out> for the \
      features and <out>-plane for the plane when results exist.
      """
  )

  @Argument(help: "Run directories.")
  var inputs: [String] = []

  @Option(help: "Which features of a run (features/<tag>.npy); needed when a run has several.")
  var tag: String?

  @Option(help: "A features .npy file ([N, D]) to draw besides the runs'.")
  var features: String?

  @Option(help: "Labels .npy ([N]) for --features.")
  var labels: String?

  @Option(help: "Positive-pair features .npy ([N, D], row-aligned) for --features.")
  var positives: String?

  @Option(parsing: .upToNextOption, help: "align-uniform-<tag>.json results to place on the plane, besides the runs'.")
  var results: [String] = []

  @Option(help: "Names in input order (runs, then --features, then --results), comma-separated.")
  var names: String?

  @Option(help: "Legend names of the classes, comma-separated, by label value. (default: the run's, from its config.json)")
  var classNames: String?

  @Option(help: "Seed for sampling pairs of high-dimensional features.")
  var seed: UInt64 = 0

  @Option(
    help: "Output path without extension; the plane goes to <out>-plane. (default: <run>/figures/align-uniform-<tag> for one run, ./figures/align-uniform[-<tag>] for several)")
  var out: String?

  @OptionGroup var common: PlotRunOptions

  @OptionGroup var output: FigureOutputOptions

  func validate() throws {
    if features == nil && (labels != nil || positives != nil) {
      throw ValidationError("--labels and --positives belong to --features")
    }
    if inputs.isEmpty && features == nil && results.isEmpty {
      throw ValidationError("give run directories, --features or --results")
    }
  }

  func run() throws {
    let style = output.style(threads: common.threadCount)
    var entries = [(name: String, set: FeatureSet?, result: AlignUniformReport?)]()
    var files = [String]()
    var tags = [String]()
    for input in inputs {
      let run = try RunDirectory(input)
      let featureTags = run.featureTags, resultTags = run.alignUniformTags
      let chosen = try run.chooseTag(
        tag, from: Array(Set(featureTags + resultTags)).sorted(),
        what: "feature set (features/<tag>.npy) or result (analysis/align-uniform-<tag>.json)")
      var set: FeatureSet?
      var result: AlignUniformReport?
      if featureTags.contains(chosen) {
        set = try run.featureSet(tag: chosen)
        files.append(run.features(chosen).features)
      }
      if resultTags.contains(chosen) {
        let path = run.alignUniformReportFile(chosen)
        result = try RunFiles.readAlignUniform(path)
        files.append(path)
      }
      entries.append((run.name, set, result))
      tags.append(chosen)
    }
    if let features {
      let set = try FeatureSet.read(
        name: PlotInputs.name(ofFile: features), features: features, labels: labels, positives: positives)
      entries.append((set.name, set, nil))
      files += [features] + [labels, positives].compactMap { $0 }
      tags.append(URL(fileURLWithPath: features).deletingPathExtension().lastPathComponent)
    }
    for path in results {
      entries.append((PlotInputs.name(ofFile: path), nil, try RunFiles.readAlignUniform(path)))
      files.append(path)
    }
    let titles = try PlotInputs.names(names, count: entries.count, inferred: entries.map(\.name))
    var sets = [FeatureSet]()
    var points = [AlignUniformPoint]()
    for (index, entry) in entries.enumerated() {
      if var set = entry.set {
        set.name = titles[index]
        sets.append(set)
      }
      if let result = entry.result {
        guard let alignment = result.alignment else {
          printWarning("\(titles[index]): no alignment (its features had no positives), so it is not on the plane")
          continue
        }
        points.append(AlignUniformPoint(name: titles[index], alignment: alignment, uniformity: result.uniformity))
      }
    }
    let name = "align-uniform" + (Set(tags).count == 1 ? "-\(tags[0])" : "")
    let stem = PlotInputs.defaultStem(runs: inputs, name: name)
    var written = [(name: String, written: FigureFiles.Written)]()
    if !sets.isEmpty {
      let figure = try HypersphereFigure.make(
        sets, classNames: try PlotInputs.classNames(classNames, inputs: inputs), seed: seed, style: style)
      written.append(("align_uniform", try output.write(figure, out: out, defaultStem: stem, inputs: files)))
    }
    if !points.isEmpty {
      let figure = try AlignUniformPlaneFigure.make(points, style: style)
      written.append(
        (
          "align_uniform_plane",
          try output.write(figure, out: out.map(planePath), defaultStem: stem + "-plane", inputs: files)
        ))
    }
    try output.report(written, json: common.json)
  }

  /// `x.pdf` becomes `x-plane.pdf`, `x` becomes `x-plane`.
  private func planePath(_ out: String) -> String {
    guard let format = OutputFormat(path: out) else { return out + "-plane" }
    return String(out.dropLast(format.fileExtension.count + 1)) + "-plane." + format.fileExtension
  }
}
