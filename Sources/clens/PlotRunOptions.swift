import ArgumentParser
import Engine

/// `--threads` and `--json` of the plot commands. Analysis commands that draw with
/// `--plot` have these flags for their own work, so they are not part of
/// `FigureOutputOptions`.
struct PlotRunOptions: ParsableArguments {
  @Option(help: "Threads for rasterising dense scatters and encoding PNGs. (default: all cores)")
  var threads: Int?

  @Flag(help: "Print the files written, with counts of skipped values, as one JSON object on stdout.")
  var json = false

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }

  /// `--threads`, or every core.
  var threadCount: ThreadCount { threads.map(ThreadCount.init) ?? .available }
}
