import ArgumentParser
import Engine
import Foundation
import RunFormat

/// `--threads`, declared once for every command that computes.
struct ThreadsOption: ParsableArguments {
  @Option(help: "Threads (default: all cores). Results are reproducible for a given --seed and thread count.")
  var threads: Int?

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  /// `--threads`, or every core.
  var threadCount: ThreadCount { threads.map(ThreadCount.init) ?? .available }
}

/// `--json`, declared once for every command that reports numbers or files.
struct JSONOption: ParsableArguments {
  @Flag(help: "Print one JSON object on stdout instead of text.")
  var json = false
}

/// `--seed`, declared once for every command that draws random numbers.
struct SeedOption: ParsableArguments {
  @Option(help: "Seed of every random choice of the command: the same seed gives the same numbers.")
  var seed: UInt64 = 0
}

/// The options every computing command shares: `--threads --seed --json --quiet`.
///
/// ```swift
/// @OptionGroup var common: CommonOptions
/// let threads = common.threadCount
/// ```
struct CommonOptions: ParsableArguments {
  @OptionGroup var threadsOption: ThreadsOption

  @OptionGroup var seedOption: SeedOption

  @OptionGroup var jsonOption: JSONOption

  @Flag(help: "No progress bars.")
  var quiet = false

  @Option(
    help: """
      Most memory the command may use for a model's activations: 16G, 512M, or a share of physical memory (80%). \
      Input needing more is refused before any work. (default: 75% of physical memory)
      """)
  var maxMemory: String?

  func validate() throws {
    if let maxMemory, MemoryBudget.parse(maxMemory) == nil {
      throw ValidationError("--max-memory: '\(maxMemory)' is not a size (write 16G, 512M, 1.5GiB or 80%)")
    }
  }

  /// `--max-memory`, or the default share of physical memory.
  var memoryBudget: MemoryBudget { maxMemory.flatMap(MemoryBudget.parse) ?? .standard }

  /// Refuses, naming `culprit` (the images), a pass of `batch` images of `shape`
  /// ([C, H, W]) through `model` whose activations would not fit `--max-memory`;
  /// `training` also counts what the backward pass keeps (training and attacks).
  func requireMemory(
    model: ResNetConfiguration, shape: [Int], batch: Int, training: Bool, culprit: String
  ) throws(FileError) {
    let needed = model.activationBytes(batch: batch, height: shape[1], width: shape[2], training: training)
    try memoryBudget.require(
      needed, for: "a batch of \(batch) images of \(shape.map(String.init).joined(separator: "x")) through the model",
      culprit: culprit, remedy: "lower --batch-size, use smaller images, or raise --max-memory")
  }

  /// `--threads`, or every core.
  var threadCount: ThreadCount { threadsOption.threadCount }
  /// `--seed`.
  var seed: UInt64 { seedOption.seed }
  /// Whether to print one JSON object instead of text.
  var json: Bool { jsonOption.json }
  /// Whether progress bars stay off (also with `--json`, whose output is for programs).
  var showsProgress: Bool { !quiet && !json }

  /// Prints `value` as one JSON line (`--json`).
  func printJSON(_ value: some Encodable) throws {
    print(try JSONOutput.line(value))
  }
}

/// Refuses each of `options` (name and value; nil when not given) that is not a finite
/// number above zero: NaN and infinity pass a plain `> 0` check in one direction or the
/// other, and would reach the computation.
func requirePositiveNumbers(_ options: [(name: String, value: Double?)]) throws {
  for (name, value) in options {
    if let value, !(value > 0 && value.isFinite) {
      throw ValidationError("\(name) must be a positive number, got \(value)")
    }
  }
}

/// Prints warnings on stderr, one line each.
func printWarning(_ message: String) {
  FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
