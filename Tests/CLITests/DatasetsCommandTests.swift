import Datasets
import Engine
import Foundation
import Testing

@testable import clens

struct DatasetsCommandTests {
  @Test func reportsCountsShapesAndTheLabelledSubset() throws {
    let command = try DatasetsCommand.parse([
      "--dataset", "digits", "--split", "train", "--labelled", "5", "--json",
    ])
    let report = try command.makeReport()
    #expect(report.dataset == "digits")
    #expect(report.splits.keys.sorted() == ["train"])
    let train = try #require(report.splits["train"])
    #expect(train.count == 1438 && train.height == 8 && train.channels == 1)
    #expect(train.classCounts.reduce(0, +) == 1438)
    let labelled = try #require(train.labelled)
    #expect(labelled.count == 50 && labelled.classCounts == Array(repeating: 5, count: 10))
    let text = DatasetsCommand.text(report)
    #expect(text.contains("train: 1438 images of 1x8x8, 10 classes"))
  }

  @Test func limitTakesAStratifiedSample() throws {
    let options = try DatasetOptions.parse(["--dataset", "digits", "--limit", "100"])
    let images = try options.load(seed: 3, threads: .one)
    #expect(images.count == 100 && images.classCounts.allSatisfy { $0 >= 9 && $0 <= 11 })
  }

  /// The message `clens datasets ARGUMENTS` prints for its parse or validation error
  /// (nil when the arguments are fine).
  static func error(_ arguments: [String]) -> String? {
    do {
      _ = try DatasetsCommand.parse(arguments)
      return nil
    } catch {
      return DatasetsCommand.message(for: error)
    }
  }

  @Test func badOptionsAreValidationErrors() {
    #expect(
      Self.error(["--dataset", "cifar10"])
        == "--dataset cifar10 needs --data-dir (the folder holding its files)")
    #expect(Self.error(["--dataset", "imagenet"])?.contains("'imagenet' is invalid") == true)
    #expect(
      Self.error(["--labelled", "ten"])?.contains("'ten' is invalid for '--labelled") == true)
    #expect(Self.error(["--labelled", "150%"])?.contains("'150%' is invalid") == true)
    #expect(Self.error(["--limit", "0"]) == "--limit must be at least 1")
    #expect(Self.error(["--threads", "0"]) == "--threads must be at least 1")
    #expect(
      Self.error(["--dataset", "mnist", "--data-dir", "/x", "--coarse-labels"])
        == "--coarse-labels applies only to --dataset cifar100")
    #expect(Self.error(["--dataset", "cifar100", "--data-dir", "/x", "--coarse-labels"]) == nil)
    #expect(
      DatasetsCommand.message(for: FileError("/x/a.bin", "truncated")) == "/x/a.bin: truncated")
  }
}
