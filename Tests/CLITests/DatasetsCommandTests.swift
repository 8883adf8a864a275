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
    #expect(report["dataset"] as? String == "digits")
    let splits = try #require(report["splits"] as? [String: [String: Any]])
    #expect(splits.keys.sorted() == ["train"])
    let train = try #require(splits["train"])
    #expect(
      train["count"] as? Int == 1438 && train["height"] as? Int == 8
        && train["channels"] as? Int == 1)
    #expect((train["class_counts"] as? [Int])?.reduce(0, +) == 1438)
    let labelled = try #require(train["labelled"] as? [String: Any])
    #expect(
      labelled["count"] as? Int == 50
        && labelled["class_counts"] as? [Int] == Array(repeating: 5, count: 10))
    let text = DatasetsCommand.text(report)
    #expect(text.contains("train: 1438 images of 1x8x8, 10 classes"))
  }

  @Test func limitTakesAStratifiedSample() throws {
    let options = try DatasetOptions.parse(["--dataset", "digits", "--limit", "100"])
    let images = try options.load(seed: 3, threads: .one)
    #expect(images.count == 100 && images.classCounts.allSatisfy { $0 >= 9 && $0 <= 11 })
  }

  @Test func badOptionsAreValidationErrors() {
    #expect(throws: (any Error).self) { try DatasetsCommand.parse(["--dataset", "cifar10"]) }
    #expect(throws: (any Error).self) { try DatasetsCommand.parse(["--dataset", "imagenet"]) }
    #expect(throws: (any Error).self) { try DatasetsCommand.parse(["--labelled", "ten"]) }
    #expect(throws: (any Error).self) { try DatasetsCommand.parse(["--limit", "0"]) }
    #expect(throws: (any Error).self) {
      try DatasetsCommand.parse(["--dataset", "mnist", "--data-dir", "/x", "--coarse-labels"])
    }
    #expect(
      DatasetsCommand.message(for: FileError("/x/a.bin", "truncated")) == "/x/a.bin: truncated")
  }
}
