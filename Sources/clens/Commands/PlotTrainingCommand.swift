import ArgumentParser
import Plotting
import RunFormat

/// `clens plot training`: loss, accuracy and learning rate over steps.
struct PlotTrainingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "training",
    abstract: "Draw loss (with its parts), accuracy and learning rate over training steps.",
    discussion: "Reads metrics.jsonl from each run directory, or metrics files given directly; runs share colours."
  )

  @Argument(help: "Run directories or metrics.jsonl files.")
  var inputs: [String] = []

  @Option(help: "Exponential moving average weight in [0, 1) drawn over the faint raw curves; 0 draws them raw.")
  var smooth: Double = 0

  @Flag(help: "Draw the loss on a log axis.")
  var logLoss = false

  @Option(help: "Run names in input order, comma-separated. (default: run directory names)")
  var names: String?

  @Option(
    help:
      "Output path without extension; a .png, .pdf or .svg name picks that format. (default: <run>/figures/training for one run, ./figures/training for several)")
  var out: String?

  @OptionGroup var common: PlotRunOptions

  @OptionGroup var output: FigureOutputOptions

  func validate() throws {
    guard smooth >= 0 && smooth < 1 else { throw ValidationError("--smooth must be in [0, 1), got \(smooth)") }
  }

  func run() throws {
    let style = output.style(threads: common.threadCount)
    let all = try PlotInputs.combine(inputs, compare: [])
    let read = try PlotInputs.readEach(all, file: \.metricsFile.path, read: RunFiles.readMetrics)
    let titles = try PlotInputs.names(names, count: all.count, inferred: read.map(\.name))
    let logs = zip(titles, read).map { TrainingLog(name: $0, records: $1.value) }
    let figure = try TrainingFigure.make(logs, smoothing: smooth, logLoss: logLoss, style: style)
    let written = try output.write(
      figure, out: out, defaultStem: PlotInputs.defaultStem(runs: all, name: "training"), inputs: read.map(\.path))
    try output.report([("training", written)], json: common.json)
  }
}
