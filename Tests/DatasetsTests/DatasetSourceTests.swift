import Datasets
import Engine
import Foundation
import TestSupport
import Testing

struct DatasetSourceTests {
  @Test func bundledDigits() throws {
    let train = try DatasetSource(.digits).load(.train)
    let test = try DatasetSource(.digits).load(.test)
    #expect(train.count == 1438 && test.count == 359)
    #expect(train.channels == 1 && train.height == 8 && train.width == 8 && train.classCount == 10)
    // The first row of the CSV: 0,0,5,13,9,1,0,0,... label 0; pixels scale by 255/16.
    #expect(train.labels[0] == 0 && Array(train.imageBytes(0).prefix(4)) == [0, 0, 80, 207])
    #expect(abs(train.image(0).pixels[3] - 13.0 / 16) < 1.0 / 510)
    #expect(test.classCounts.allSatisfy { $0 >= 30 })
  }

  @Test func badDigitsFilesAreReported() throws {
    let directory = TemporaryDirectory()
    let row = Array(repeating: "0", count: 64).joined(separator: ",")
    func problem(_ text: String) throws -> String? {
      try Data(Zlib.gzip(Array(text.utf8))).write(
        to: URL(fileURLWithPath: directory.file("digits.csv.gz")))
      return fileError { () throws(FileError) in
        try DatasetSource(.digits, directory: directory.path).load(.train)
      }?.problem
    }
    #expect(
      try problem("\(row),3\n\(row)\n") == "line 2: 64 values, expected 65 (64 pixels and a label)")
    #expect(try problem("\(row),10\n") == "line 1: label 10 is outside 0..<10")
    #expect(
      try problem("17," + row.dropFirst(2) + ",1\n") == "line 1: pixel value 17 is outside 0...16")
    #expect(try problem("x," + row.dropFirst(2) + ",1\n") == "line 1: 'x' is not an integer")
    #expect(try problem("\(row),4\n\(row),5\n\(row),6\n\(row),7\n\(row),8\n") == nil)
  }

  @Test func folderDatasetSplits() throws {
    let directory = TemporaryDirectory()
    for split in ["train", "test"] {
      for (c, name) in ["cat", "dog"].enumerated() {
        try PNGFile.write(
          Image(channels: 3, height: 6, width: 5, repeating: Float(c) / 2),
          to: directory.file("\(split)/\(name)/0.png"))
      }
    }
    let source = DatasetSource(.folder, directory: directory.path)
    let test = try source.load(.test)
    #expect(test.count == 2 && test.classNames == ["cat", "dog"] && test.channels == 3)
    try FileManager.default.removeItem(atPath: directory.file("test"))
    #expect(
      fileError { () throws(FileError) in try source.load(.test) }?.path == directory.file("test"))
  }

  @Test func numpyDatasetFromNPZOrNPY() throws {
    let directory = TemporaryDirectory()
    let images = NPYArray(shape: [3, 2, 2], uint8s: Array(0..<12))
    try NPZ.write(
      ["images": images, "labels": NPYArray(shape: [3], int64s: [2, 0, 1])],
      to: directory.file("train.npz"), compressed: true)
    try images.write(to: directory.file("test_images.npy"))
    try NPYArray(shape: [3], int64s: [1, 1, 0]).write(to: directory.file("test_labels.npy"))
    try Data("shirt\nshoe\nbag\n".utf8).write(
      to: URL(fileURLWithPath: directory.file("classes.txt")))
    let source = DatasetSource(.npy, directory: directory.path)
    let train = try source.load(.train)
    #expect(
      train.labels == [2, 0, 1] && train.classNames == ["shirt", "shoe", "bag"]
        && train.pixels == Array(0..<12))
    #expect(try source.load(.test).labels == [1, 1, 0])
    try FileManager.default.removeItem(atPath: directory.file("test_labels.npy"))
    #expect(
      fileError { () throws(FileError) in try source.load(.test) }
        == FileError(
          directory.file("test_labels.npy"),
          "no such file (npy expects test_labels.npy in \(directory.path))"))
  }

  @Test func missingFoldersAreReported() throws {
    let error = fileError { () throws(FileError) in
      try DatasetSource(.mnist, directory: "/nonexistent/mnist").load(.train)
    }
    #expect(error == FileError("/nonexistent/mnist", "no such folder"))
  }
}

struct LabelSubsetTests {
  /// 100 images of class 0, 50 of class 1, 10 of class 2, interleaved.
  static let set: ImageSet = {
    let labels = (0..<100).map { _ in 0 } + (0..<50).map { _ in 1 } + (0..<10).map { _ in 2 }
    let order = Array(0..<160).sorted { ($0 * 37) % 160 < ($1 * 37) % 160 }
    return ImageSet(
      pixels: Array(repeating: 0, count: 160), labels: order.map { labels[$0] }, channels: 1,
      height: 1, width: 1,
      classNames: ["a", "b", "c"])
  }()

  @Test func parsing() {
    #expect(LabelSubset("1%") == .fraction(0.01) && LabelSubset("10%") == .fraction(0.1))
    #expect(LabelSubset("25") == .perClass(25) && LabelSubset("all") == .all)
    #expect(LabelSubset("0") == nil && LabelSubset("150%") == nil && LabelSubset("ten") == nil)
    #expect(
      LabelSubset.fraction(0.01).description == "1%" && LabelSubset.perClass(4).description == "4")
    // Percentages print as typed, not with the fraction's rounding error.
    #expect(
      ["7%", "12.5%", "0.1%", "29%", "all"].map { LabelSubset($0)?.description } == [
        "7%", "12.5%", "0.1%", "29%", "all",
      ])
  }

  @Test func subsetsAreClassBalancedAndSeeded() {
    let set = Self.set
    let tenPercent = set.labelledIndices(.fraction(0.1), seed: 3)
    #expect(tenPercent.count == 16 && tenPercent == tenPercent.sorted())
    #expect(set.subset(tenPercent).classCounts == [10, 5, 1])
    #expect(set.labelledIndices(.fraction(0.1), seed: 3) == tenPercent)
    #expect(set.labelledIndices(.fraction(0.1), seed: 4) != tenPercent)
    #expect(set.subset(set.labelledIndices(.perClass(20), seed: 0)).classCounts == [20, 20, 10])
    #expect(set.labelledIndices(.all, seed: 0) == Array(0..<160))
    let limited = set.stratifiedIndices(total: 7, seed: 1)
    #expect(limited.count == 7 && set.subset(limited).classCounts == [4, 2, 1])
    // A class's choice does not depend on the other classes' quotas.
    let classTwo = { (indices: [Int]) in indices.filter { set.labels[$0] == 2 } }
    #expect(
      Set(classTwo(set.labelledIndices(.perClass(3), seed: 9))).isSubset(
        of: Set(classTwo(set.labelledIndices(.perClass(5), seed: 9)))))
  }
}
