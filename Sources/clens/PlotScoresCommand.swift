import ArgumentParser
import Plotting

extension ScoreFigure.Distribution: ExpressibleByArgument {}

/// `clens plot scores`: positive and negative similarity scores over training.
struct PlotScoresCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scores",
    abstract: "Draw positive/negative score mean ± std over training and their distributions at chosen steps.",
    discussion: "Reads scores.jsonl from each run directory, or score files given directly; one column per run."
  )

  @Argument(help: "Run directories or scores.jsonl files.")
  var inputs: [String] = []

  @Option(help: "Steps whose distributions are drawn, comma-separated; the nearest logged steps are used. (default: 5 evenly spaced)")
  var steps: String?

  @Option(help: "Draw distributions as gaussian curves from the stored moments, or the stored histograms.")
  var distribution: ScoreFigure.Distribution = .gaussian

  @Option(help: "Run names in input order, comma-separated. (default: run directory names)")
  var names: String?

  @Option(help: "Output path without extension; a .png, .pdf or .svg name picks that format. (default: <run>/figures/scores)")
  var out: String?

  @OptionGroup var output: FigureOutputOptions

  func validate() throws {
    if let steps {
      for item in splitList([steps]) where Int(item) == nil { throw ValidationError("--steps: '\(item)' is not a whole number") }
    }
  }

  func run() throws {
    let all = try PlotInputs.combine(inputs, compare: [])
    var logs = [ScoreLog]()
    var files = [String]()
    for input in all {
      if PlotInputs.isDirectory(input) {
        let run = try RunDirectory(input)
        let path = run.file("scores.jsonl")
        logs.append(ScoreLog(name: run.name, records: try RunFiles.readScores(path)))
        files.append(path)
      } else {
        logs.append(ScoreLog(name: PlotInputs.name(ofFile: input), records: try RunFiles.readScores(input)))
        files.append(input)
      }
    }
    let titles = try PlotInputs.names(names, count: all.count, inferred: logs.map(\.name))
    for index in logs.indices { logs[index].name = titles[index] }
    let figure = try ScoreFigure.make(
      logs, steps: steps.map { splitList([$0]).compactMap { Int($0) } }, distribution: distribution, style: output.style)
    let written = try output.write(
      figure, out: out, defaultStem: PlotInputs.defaultStem(runs: all, name: "scores"), inputs: files)
    try output.report([("scores", written)])
  }
}
