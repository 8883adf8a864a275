import ArgumentParser
import Engine

/// `--threads` and `--json` of the plot commands (which draw, and take no seed or
/// progress bar).
struct PlotRunOptions: ParsableArguments {
  @OptionGroup var threadsOption: ThreadsOption

  @OptionGroup var jsonOption: JSONOption

  /// `--threads`, or every core: rasterising dense scatters and encoding PNGs.
  var threadCount: ThreadCount { threadsOption.threadCount }
  /// Print the files written, with counts of skipped values, as one JSON object.
  var json: Bool { jsonOption.json }
}
