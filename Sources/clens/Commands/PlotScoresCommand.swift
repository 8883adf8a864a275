import ArgumentParser
import Plotting
import RunFormat

extension ScoreFigure.Distribution: ExpressibleByArgument {}

/// `clens plot scores`: positive and negative similarity scores over training.
struct PlotScoresCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scores",
    abstract: "Draw positive/negative score mean ± std over training and their distributions at chosen steps.",
    discussion: "Reads scores.jsonl from each run directory, or score files given directly; one column per run, or the runs overlaid with --overlay."
  )

  @Argument(help: "Run directories or scores.jsonl files.")
  var inputs: [String] = []

  @Option(
    help:
      "Steps whose distributions are drawn, comma-separated; the nearest logged steps are used. (default: 5 evenly spaced)"
  )
  var steps: String?

  @Option(help: "Draw distributions as gaussian curves from the stored moments, or the stored histograms.")
  var distribution: ScoreFigure.Distribution = .gaussian

  @Flag(
    help:
      "Overlay the runs in three panels: positive mean, negative mean and negative variance over training (the Feature Transformation paper's figure of MoCo vs MoCo + FT).")
  var overlay = false

  @Option(help: "Run names in input order, comma-separated. (default: run directory names)")
  var names: String?

  @Option(
    help: "Output path without extension; a .png, .pdf or .svg name picks that format. (default: <run>/figures/scores for one run, ./figures/scores for several)")
  var out: String?

  @OptionGroup var common: PlotRunOptions

  @OptionGroup var output: FigureOutputOptions

  func validate() throws {
    if overlay && steps != nil { throw ValidationError("--steps picks distributions, which --overlay does not draw") }
    if let steps {
      for item in splitList([steps]) where Int(item) == nil {
        throw ValidationError("--steps: '\(item)' is not a whole number")
      }
    }
  }

  func run() throws {
    let style = output.style(threads: common.threadCount)
    let all = try PlotInputs.combine(inputs, compare: [])
    let read = try PlotInputs.readEach(all, file: \.scoresFile.path, read: RunFiles.readScores)
    let titles = try PlotInputs.names(names, count: all.count, inferred: read.map(\.name))
    let logs = zip(titles, read).map { ScoreLog(name: $0, records: $1.value) }
    let figure =
      overlay
      ? try ScoreFigure.overlay(logs, style: style)
      : try ScoreFigure.make(
        logs, steps: steps.map { splitList([$0]).compactMap { Int($0) } }, distribution: distribution, style: style)
    let written = try output.write(
      figure, out: out, defaultStem: PlotInputs.defaultStem(runs: all, name: "scores"), inputs: read.map(\.path))
    try output.report([("scores", written)], json: common.json)
  }
}
