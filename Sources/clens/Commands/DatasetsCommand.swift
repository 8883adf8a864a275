import ArgumentParser
import Datasets
import Engine
import Foundation

/// `clens datasets`: shows what a dataset holds, so users can check their files before
/// training on them.
struct DatasetsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "datasets",
    abstract:
      "Show what a dataset holds: images per split and class, image shape, pixel statistics.",
    discussion: """
      Reads the dataset as training would and reports problems with its files (truncated, corrupt, \
      mislabelled) as one error line. With --labelled it also shows the seeded, class-stratified \
      labelled subset semi-supervised fine-tuning would use.
      """)

  @OptionGroup var data: DatasetOptions

  @Option(
    help:
      "Also show the labelled subset: 'all', a percentage such as 1% or 10%, or N images per class."
  )
  var labelled: LabelSubset?

  @Option(help: "Seed for --limit and --labelled.")
  var seed: UInt64 = 0

  @Option(help: "Threads for decoding PNG folders (default: all cores).")
  var threads: Int?

  @Flag(help: "Print one JSON object on stdout instead of text.")
  var json = false

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  func run() throws {
    let report = try makeReport()
    if json {
      let data = try JSONSerialization.data(
        withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(Self.text(report))
    }
  }

  /// The numbers `--json` prints: dataset, directory, and per split its count, shape,
  /// class names and counts, per-channel mean and std on [0, 1], and the labelled subset.
  func makeReport() throws(FileError) -> [String: Any] {
    let threadCount = threads.map(ThreadCount.init) ?? .available
    var splits = [String: Any]()
    for split in data.split.map({ [$0] }) ?? Split.allCases {
      let images = try data.load(split, seed: seed, threads: threadCount)
      let (mean, std) = images.channelStatistics()
      var entry: [String: Any] = [
        "count": images.count, "channels": images.channels, "height": images.height,
        "width": images.width,
        "class_names": images.classNames, "class_counts": images.classCounts, "mean": mean,
        "std": std,
      ]
      if let labelled {
        let subset = images.subset(images.labelledIndices(labelled, seed: seed))
        entry["labelled"] = [
          "subset": labelled.description, "count": subset.count, "class_counts": subset.classCounts,
        ]
      }
      splits[split.rawValue] = entry
    }
    return [
      "dataset": data.kind.rawValue,
      "directory": data.source.resolvedDirectory ?? DigitsCSV.bundledPath ?? "",
      "splits": splits,
    ]
  }

  static func text(_ report: [String: Any]) -> String {
    var lines = ["\(report["dataset"] ?? "") (\(report["directory"] ?? ""))"]
    let splits = report["splits"] as? [String: [String: Any]] ?? [:]
    for name in Split.allCases.map(\.rawValue) {
      guard let split = splits[name] else { continue }
      let names = split["class_names"] as? [String] ?? []
      let counts = split["class_counts"] as? [Int] ?? []
      let mean = (split["mean"] as? [Double] ?? []).map { String(format: "%.4f", $0) }.joined(
        separator: ", ")
      let std = (split["std"] as? [Double] ?? []).map { String(format: "%.4f", $0) }.joined(
        separator: ", ")
      lines.append(
        "\(name): \(split["count"] ?? 0) images of \(split["channels"] ?? 0)x\(split["height"] ?? 0)x\(split["width"] ?? 0), "
          + "\(names.count) classes, mean [\(mean)], std [\(std)]")
      let labelled = split["labelled"] as? [String: Any]
      let subsetCounts = labelled?["class_counts"] as? [Int]
      let width = max(5, names.map(\.count).max() ?? 0)
      for (c, count) in counts.enumerated() {
        let label = String(c).padding(toLength: 4, withPad: " ", startingAt: 0)
        let className = names[c].padding(toLength: width, withPad: " ", startingAt: 0)
        let subset = subsetCounts.map { "  labelled \($0[c])" } ?? ""
        lines.append("  \(label)\(className) \(String(count).leftPadded(to: 7))\(subset)")
      }
      if let labelled {
        lines.append(
          "  labelled subset \(labelled["subset"] ?? ""): \(labelled["count"] ?? 0) images")
      }
    }
    return lines.joined(separator: "\n")
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
