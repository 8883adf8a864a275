import ArgumentParser
import Engine
import Plotting

/// `--plot` with the figure options of `clens plot`, for the analysis commands (`tsne`,
/// `align-uniform`), so a one-off analysis draws its figure without a run directory.
struct AnalysisOutputOptions: ParsableArguments {
  @Option(
    help:
      "Also draw the command's figure here: a path without extension (PNG and PDF), or ending in .png, .pdf or .svg.")
  var plot: String?

  @Option(
    help:
      "With --plot: legend names of the classes, comma-separated, by label value. (default: the run's or the dataset's)")
  var classNames: String?

  @OptionGroup(title: "Figure (with --plot)") var figure: FigureOutputOptions

  func validate() throws {
    if plot == nil && (figure.isCustomized || classNames != nil) {
      throw ValidationError("--class-names, --format, --column, --width-in, --height-in and --dpi apply only with --plot")
    }
  }

  /// The class names the figure shows: `--class-names`, else those of the input.
  func classNames(or inputNames: [String]?) throws -> [String]? {
    try PlotInputs.classNames(classNames) ?? inputNames
  }

  /// With `--plot`, draws the figure `make` builds for the chosen page and returns the
  /// files written (the figure in each format and its sidecar); without, nothing.
  func draw(input: String, threads: ThreadCount, _ make: (FigureStyle) throws -> Figure) throws -> [String] {
    guard let plot else { return [] }
    let drawing = try make(figure.style(threads: threads))
    return try figure.write(drawing, out: plot, defaultStem: plot, inputs: [input]).paths
  }
}
