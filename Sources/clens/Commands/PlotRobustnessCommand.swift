import ArgumentParser
import Engine
import Plotting
import RunFormat

/// `clens plot robustness`: robust accuracy against ε for l2 and l-infinity attacks.
struct PlotRobustnessCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "robustness",
    abstract: "Draw robust accuracy against ε (l-infinity and l2), several models on one axes, clean accuracy marked.",
    discussion:
      "Reads every analysis/robustness-<norm>[-<attack>].json of each run directory (PGD and AutoAttack curves of one model are drawn together, each with its 95 % interval), or result files given directly."
  )

  @Argument(help: "Run directories or robustness-<norm>.json files.")
  var inputs: [String] = []

  @Option(help: "Model names in input order, comma-separated. (default: run directory names)")
  var names: String?

  @Option(
    help:
      "Output path without extension; a .png, .pdf or .svg name picks that format. (default: <run>/figures/robustness for one run, ./figures/robustness for several)")
  var out: String?

  @OptionGroup var common: PlotRunOptions

  @OptionGroup var output: FigureOutputOptions

  func run() throws {
    let style = output.style(threads: common.threadCount)
    let all = try PlotInputs.combine(inputs, compare: [])
    var results = [(input: Int, result: RobustnessReport)]()
    var files = [String]()
    var inferred = [String]()
    for (index, input) in all.enumerated() {
      if PlotInputs.isDirectory(input) {
        let run = try RunDirectory(input)
        let found = run.robustnessFiles
        guard !found.isEmpty else {
          throw FileError(input, "no analysis/robustness-<norm>.json or robustness-<norm>-<attack>.json")
        }
        for path in found { results.append((index, try RunFiles.readRobustness(path))) }
        files += found
        inferred.append(run.name)
      } else {
        results.append((index, try RunFiles.readRobustness(input)))
        files.append(input)
        inferred.append(PlotInputs.name(ofFile: input))
      }
    }
    let titles = try PlotInputs.names(names, count: all.count, inferred: inferred)
    let curves = all.indices.flatMap { input in
      RobustnessReport.curves(
        results.filter { $0.input == input }.map(\.result), name: titles[input], alone: all.count == 1)
    }
    let figure = try RobustnessFigure.make(curves, style: style)
    let written = try output.write(
      figure, out: out, defaultStem: PlotInputs.defaultStem(runs: all, name: "robustness"), inputs: files)
    try output.report([("robustness", written)], json: common.json)
  }
}
