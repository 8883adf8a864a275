import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat

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

  @OptionGroup var threadsOption: ThreadsOption

  @OptionGroup var seedOption: SeedOption

  @OptionGroup var jsonOption: JSONOption

  func run() throws {
    let report = try makeReport()
    if jsonOption.json {
      print(try JSONOutput.line(report))
    } else {
      print(Self.text(report))
    }
  }

  /// What `clens datasets` reports: the dataset, its folder, and per split its images.
  struct Report: Codable {
    /// One split: count, shape, classes, per-channel mean and std on [0, 1], and the
    /// labelled subset when asked for.
    struct SplitReport: Codable {
      struct Labelled: Codable {
        var subset: String
        var count: Int
        var classCounts: [Int]

        enum CodingKeys: String, CodingKey {
          case subset, count
          case classCounts = "class_counts"
        }
      }

      var count: Int
      var channels: Int
      var height: Int
      var width: Int
      var classNames: [String]
      var classCounts: [Int]
      var mean: [Double]
      var std: [Double]
      var labelled: Labelled?

      enum CodingKeys: String, CodingKey {
        case count, channels, height, width, mean, std, labelled
        case classNames = "class_names"
        case classCounts = "class_counts"
      }
    }

    var dataset: String
    var directory: String
    var splits: [String: SplitReport]
  }

  /// Reads each split asked for (both by default) and measures it.
  func makeReport() throws(FileError) -> Report {
    let seed = seedOption.seed
    var splits = [String: Report.SplitReport]()
    for split in data.split.map({ [$0] }) ?? Split.allCases {
      let images = try data.load(split, seed: seed, threads: threadsOption.threadCount)
      let (mean, std) = images.channelStatistics()
      var entry = Report.SplitReport(
        count: images.count, channels: images.channels, height: images.height, width: images.width,
        classNames: images.classNames, classCounts: images.classCounts, mean: mean, std: std)
      if let labelled {
        let subset = images.subset(images.labelledIndices(labelled, seed: seed))
        entry.labelled = .init(subset: labelled.description, count: subset.count, classCounts: subset.classCounts)
      }
      splits[split.rawValue] = entry
    }
    return Report(
      dataset: data.kind.rawValue, directory: data.source.resolvedDirectory ?? DigitsCSV.bundledPath ?? "",
      splits: splits)
  }

  static func text(_ report: Report) -> String {
    var lines = ["\(report.dataset) (\(report.directory))"]
    for name in Split.allCases.map(\.rawValue) {
      guard let split = report.splits[name] else { continue }
      let mean = split.mean.map { String(format: "%.4f", $0) }.joined(separator: ", ")
      let std = split.std.map { String(format: "%.4f", $0) }.joined(separator: ", ")
      lines.append(
        "\(name): \(split.count) images of \(split.channels)x\(split.height)x\(split.width), "
          + "\(split.classNames.count) classes, mean [\(mean)], std [\(std)]")
      let width = max(5, split.classNames.map(\.count).max() ?? 0)
      for (c, count) in split.classCounts.enumerated() {
        let label = String(c).padding(toLength: 4, withPad: " ", startingAt: 0)
        let className = split.classNames[c].padding(toLength: width, withPad: " ", startingAt: 0)
        let subset = split.labelled.map { "  labelled \($0.classCounts[c])" } ?? ""
        lines.append("  \(label)\(className) \(String(count).leftPadded(to: 7))\(subset)")
      }
      if let labelled = split.labelled {
        lines.append("  labelled subset \(labelled.subset): \(labelled.count) images")
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
