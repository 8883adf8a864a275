import Datasets
import Engine
import Foundation
import TestSupport
import Testing

struct CIFARTests {
  /// `count` random 3x32x32 images with labels `label(i)`.
  static func images(_ count: Int, classes: [String], seed: UInt64, label: (Int) -> Int) -> ImageSet
  {
    var rng = RandomGenerator(seed: seed)
    let pixels = (0..<(count * 3072)).map { _ in UInt8(rng.int(below: 256)) }
    return ImageSet(
      pixels: pixels, labels: (0..<count).map(label), channels: 3, height: 32, width: 32,
      classNames: classes)
  }

  @Test func cifar10BatchesRoundTrip() throws {
    let directory = TemporaryDirectory()
    var expectedLabels = [Int]()
    for b in 1...5 {
      let set = Self.images(3, classes: CIFARBinary.cifar10Classes, seed: UInt64(b)) {
        ($0 + b) % 10
      }
      expectedLabels += set.labels
      try Data(CIFARBinary.encode(set)).write(
        to: URL(fileURLWithPath: directory.file("data_batch_\(b).bin")))
    }
    let test = Self.images(4, classes: CIFARBinary.cifar10Classes, seed: 9) { $0 }
    try Data(CIFARBinary.encode(test)).write(
      to: URL(fileURLWithPath: directory.file("test_batch.bin")))

    let source = DatasetSource(.cifar10, directory: directory.path)
    let train = try source.load(.train)
    #expect(train.count == 15 && train.labels == expectedLabels && train.channels == 3)
    #expect(try source.load(.test) == test)
    // Record layout: label byte, then 1024 red, 1024 green, 1024 blue bytes.
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("test_batch.bin"))))
    #expect(bytes[3073] == 1 && Array(bytes[3074..<3074 + 3072]) == Array(test.imageBytes(1)))
  }

  @Test func cifar100FineAndCoarseLabels() throws {
    let directory = TemporaryDirectory()
    let set = Self.images(5, classes: CIFARBinary.cifar100FineClasses, seed: 3) { $0 * 23 }
    let coarse = [0, 4, 19, 7, 2]
    try Data(CIFARBinary.encode(set, coarseLabels: coarse)).write(
      to: URL(fileURLWithPath: directory.file("test.bin")))
    let fine = try DatasetSource(.cifar100, directory: directory.path).load(.test)
    #expect(
      fine.labels == [0, 23, 46, 69, 92] && fine.classCount == 100 && fine.classNames[23] == "cloud"
    )
    let superclasses = try DatasetSource(.cifar100, directory: directory.path, coarseLabels: true)
      .load(.test)
    #expect(superclasses.labels == coarse && superclasses.classCount == 20)
    #expect(
      CIFARBinary.cifar100FineClasses.count == 100
        && Set(CIFARBinary.cifar100FineClasses).count == 100)
  }

  @Test func corruptBatchesGiveTheDocumentedErrors() throws {
    let set = Self.images(2, classes: CIFARBinary.cifar10Classes, seed: 1) { $0 }
    let good = CIFARBinary.encode(set)
    func problem(_ file: [UInt8], _ layout: CIFARBinary.Layout = .cifar10) -> String? {
      fileError { () throws(FileError) in
        try CIFARBinary.decode(file, layout: layout, path: "b.bin")
      }?.problem
    }
    #expect(
      problem(Array(good.dropLast(100)))?.hasPrefix(
        "size 6046 is not a whole number of 3073-byte CIFAR-10 records") == true)
    #expect(problem([]) == "empty file, expected CIFAR-10 records")
    var badLabel = good
    badLabel[3073] = 10
    #expect(problem(badLabel) == "label 10 of record 1 is outside 0..<10 (not a CIFAR-10 file?)")
    let hundred = CIFARBinary.encode(
      Self.images(1, classes: CIFARBinary.cifar100FineClasses, seed: 2) { _ in 99 },
      coarseLabels: [25])
    #expect(
      problem(hundred, .cifar100(coarse: false))
        == "coarse label 25 of record 0 is outside 0..<20 (not a CIFAR-100 file?)")
    #expect(
      problem(good, .cifar100(coarse: false))?.hasPrefix(
        "size 6146 is not a whole number of 3074-byte") == true)
  }

  @Test func missingFilesNameTheFileAndTheFolder() throws {
    let directory = TemporaryDirectory()
    let error = fileError { () throws(FileError) in
      try DatasetSource(.cifar10, directory: directory.path).load(.test)
    }
    #expect(
      error
        == FileError(
          directory.file("test_batch.bin"),
          "no such file (cifar10 expects test_batch.bin in \(directory.path))"))
    let noDirectory = fileError { () throws(FileError) in try DatasetSource(.cifar10).load(.test) }
    #expect(noDirectory?.problem.hasPrefix("cifar10 needs --data-dir") == true)
  }
}
