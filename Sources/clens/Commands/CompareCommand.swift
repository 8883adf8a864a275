import ArgumentParser
import Engine
import Foundation
import Plotting
import RunFormat

/// `clens compare RUN_A RUN_B`: every side-by-side figure the two runs have files for.
struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Draw every side-by-side figure two run directories have files for (e.g. CE-tuning vs Core-tuning).",
    discussion: """
      Training curves (metrics.jsonl), score distributions (scores.jsonl), t-SNE embeddings and hypersphere \
      figures for tags both runs have, the alignment-uniformity plane, and robustness curves.
      """
  )

  @Argument(help: "The first run directory.")
  var runA: String

  @Argument(help: "The second run directory.")
  var runB: String

  @Option(help: "Only this tag of embeddings and features. (default: every tag both runs have)")
  var tag: String?

  @Option(help: "Names of the two runs, comma-separated. (default: the directory names)")
  var names: String?

  @Option(help: "Seed for sampling pairs of high-dimensional features.")
  var seed: UInt64 = 0

  @Option(help: "Output directory. (default: figures/compare-<A>-vs-<B>)")
  var out: String?

  @OptionGroup var common: PlotRunOptions

  @OptionGroup var output: FigureOutputOptions

  func run() throws {
    let runs = [try RunDirectory(runA), try RunDirectory(runB)]
    let titles = try PlotInputs.names(names, count: 2, inferred: runs.map(\.name))
    let directory = out ?? "figures/compare-\(titles[0])-vs-\(titles[1])"
    let style = output.style(threads: common.threadCount)
    var written = [(name: String, written: FigureFiles.Written)]()
    func save(_ figure: Figure, _ name: String, _ inputs: [String]) throws {
      let stem = (directory as NSString).appendingPathComponent(name)
      written.append((name, try output.write(figure, out: stem, defaultStem: stem, inputs: inputs)))
    }
    func both(_ file: (RunDirectory) -> String) -> [String]? {
      let paths = runs.map(file)
      return paths.allSatisfy { FileManager.default.fileExists(atPath: $0) } ? paths : nil
    }
    func sharedTags(_ tags: (RunDirectory) -> [String]) -> [String] {
      let shared = Set(tags(runs[0])).intersection(tags(runs[1])).sorted()
      return tag.map { shared.contains($0) ? [$0] : [] } ?? shared
    }

    if let files = both(\.metricsFile.path) {
      let logs = try zip(titles, files).map { TrainingLog(name: $0, records: try RunFiles.readMetrics($1)) }
      try save(try TrainingFigure.make(logs, style: style), "training", files)
    }
    if let files = both(\.scoresFile.path) {
      let logs = try zip(titles, files).map { ScoreLog(name: $0, records: try RunFiles.readScores($1)) }
      try save(try ScoreFigure.make(logs, style: style), "scores", files)
    }
    let classNames = try PlotInputs.classNames(nil, inputs: [runA, runB])
    for tag in sharedTags(\.tsneTags) {
      var embeddings = try runs.map { try $0.embedding(tag: tag) }
      for index in embeddings.indices { embeddings[index].title = titles[index] }
      try save(
        try EmbeddingFigure.make(embeddings, classNames: classNames, style: style), "tsne-\(tag)",
        runs.map { $0.tsneEmbedding(tag) })
    }
    for tag in sharedTags(\.featureTags) {
      var sets = try runs.map { try $0.featureSet(tag: tag) }
      for index in sets.indices { sets[index].name = titles[index] }
      try save(
        try HypersphereFigure.make(sets, classNames: classNames, seed: seed, style: style), "align-uniform-\(tag)",
        runs.map { $0.features(tag).features })
    }
    for tag in sharedTags(\.alignUniformTags) {
      let files = runs.map { $0.alignUniformReportFile(tag) }
      let results = try files.map(RunFiles.readAlignUniform)
      guard results.allSatisfy({ $0.alignment != nil }) else {
        printWarning("tag \(tag): no alignment in both runs (features without positives), so no alignment-uniformity plane")
        continue
      }
      let points = zip(titles, results).map { name, result in
        AlignUniformPoint(name: name, alignment: result.alignment!, uniformity: result.uniformity)
      }
      try save(try AlignUniformPlaneFigure.make(points, style: style), "align-uniform-plane-\(tag)", files)
    }
    var curves = [RobustnessCurve]()
    var robustnessFiles = [String]()
    for (index, run) in runs.enumerated() {
      let paths = run.robustnessFiles
      curves += RobustnessReport.curves(try paths.map(RunFiles.readRobustness), name: titles[index])
      robustnessFiles += paths
    }
    if !curves.isEmpty { try save(try RobustnessFigure.make(curves, style: style), "robustness", robustnessFiles) }
    guard !written.isEmpty else {
      throw FileError(
        runA,
        "nothing to compare with \(runB): neither has metrics.jsonl or scores.jsonl in both, nor shared analysis/ or features/ tags, nor robustness results"
      )
    }
    try output.report(written, json: common.json)
  }
}
