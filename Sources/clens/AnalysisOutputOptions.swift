import ArgumentParser
import Engine
import Plotting

/// The options the analysis commands (`tsne`, `align-uniform`) share: threads, JSON
/// output, progress bars, and `--plot` with the figure options of `clens plot`, so a
/// one-off analysis draws its figure without a run directory.
struct AnalysisOutputOptions: ParsableArguments {
  @Option(
    help:
      "Also draw the command's figure here: a path without extension (PNG and PDF), or ending in .png, .pdf or .svg.")
  var plot: String?

  @OptionGroup(title: "Figure (with --plot)") var figure: FigureOutputOptions

  @Option(help: "Threads (default: all cores).")
  var threads: Int?

  @Flag(help: "Print one JSON object on stdout.")
  var json = false

  @Flag(help: "No progress bars.")
  var quiet = false

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if plot == nil && figure.isCustomized {
      throw ValidationError("--format, --column, --width-in, --height-in and --dpi apply only with --plot")
    }
  }

  /// `--threads`, or every core.
  var threadCount: ThreadCount { threads.map(ThreadCount.init) ?? .available }

  /// With `--plot`, draws the figure `make` builds for the chosen page and returns the
  /// files written (the figure in each format and its sidecar); without, nothing.
  func draw(input: String, _ make: (FigureStyle) throws -> Figure) throws -> [String] {
    guard let plot else { return [] }
    let drawing = try make(figure.style(threads: threadCount))
    return try figure.write(drawing, out: plot, defaultStem: plot, inputs: [input]).paths
  }
}
