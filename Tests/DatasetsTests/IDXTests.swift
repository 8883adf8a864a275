import Datasets
import Engine
import Foundation
import TestSupport
import Testing

struct IDXTests {
  /// Four 3x2 images and their labels, written as gzip IDX files.
  func writePair(
    in directory: TemporaryDirectory, labels: [UInt8] = [3, 0, 9, 1], gzip: Bool = true
  ) throws -> (String, String) {
    let images = IDXArray(dimensions: [4, 3, 2], bytes: (0..<24).map { UInt8($0 * 10) })
    let labelArray = IDXArray(dimensions: [labels.count], bytes: labels)
    let imagesPath = directory.file(gzip ? "images-idx3-ubyte.gz" : "images-idx3-ubyte")
    let labelsPath = directory.file(gzip ? "labels-idx1-ubyte.gz" : "labels-idx1-ubyte")
    try Data(gzip ? Zlib.gzip(images.encoded()) : images.encoded()).write(
      to: URL(fileURLWithPath: imagesPath))
    try Data(gzip ? Zlib.gzip(labelArray.encoded()) : labelArray.encoded()).write(
      to: URL(fileURLWithPath: labelsPath))
    return (imagesPath, labelsPath)
  }

  @Test(arguments: [true, false]) func readsImagesAndLabels(gzip: Bool) throws {
    let directory = TemporaryDirectory()
    let (images, labels) = try writePair(in: directory, gzip: gzip)
    let set = try readIDXImageSet(
      images: images, labels: labels, classNames: (0..<10).map(String.init))
    #expect(set.count == 4 && set.channels == 1 && set.height == 3 && set.width == 2)
    #expect(set.labels == [3, 0, 9, 1])
    #expect(Array(set.imageBytes(1)) == [60, 70, 80, 90, 100, 110])
  }

  @Test func concatenatedGzipMembersAreOneStream() throws {
    let bytes = IDXArray(dimensions: [6], bytes: [1, 2, 3, 4, 5, 6]).encoded()
    let twoMembers = Zlib.gzip(Array(bytes[0..<7])) + Zlib.gzip(Array(bytes[7...]))
    #expect(try Zlib.gunzip(twoMembers, path: "x") == bytes)
  }

  /// A small gzip file whose header promises one 28x28 image but whose stream inflates
  /// to 64 MiB stops at the promise, not after inflating everything.
  @Test func aDecompressionBombStopsAtItsHeadersPromise() throws {
    let directory = TemporaryDirectory()
    let header = IDXArray(dimensions: [1, 28, 28], bytes: Array(repeating: 0, count: 784)).encoded()
    let bomb = Zlib.gzip(header + [UInt8](repeating: 0, count: 64 << 20))
    #expect(bomb.count < 100_000)
    try Data(bomb).write(to: URL(fileURLWithPath: directory.file("bomb-idx3-ubyte.gz")))
    let error = fileError { () throws(FileError) in try IDXArray.read(directory.file("bomb-idx3-ubyte.gz")) }
    #expect(error?.problem == "inflates past the 800 bytes its header describes (corrupt, or a decompression bomb)")
  }

  func problem(_ file: [UInt8]) -> String? {
    fileError { () throws(FileError) in try IDXArray.decode(file, path: "f.idx") }?.problem
  }

  @Test func corruptFilesGiveTheDocumentedErrors() throws {
    let good = IDXArray(dimensions: [2, 2, 2], bytes: Array(repeating: 7, count: 8)).encoded()
    #expect(problem(Array(good[0..<3]))?.hasPrefix("truncated IDX header") == true)
    #expect(problem(Array(good[0..<9]))?.hasPrefix("truncated IDX header") == true)
    #expect(
      problem(Array(good.dropLast(3)))
        == "truncated data: dimensions [2, 2, 2] need 8 bytes, file has 5")
    #expect(problem(good + [0]) == "1 unexpected bytes after the data of dimensions [2, 2, 2]")
    var magic = good
    magic[0] = 0x42
    #expect(problem(magic) == "not an IDX file (bad magic bytes 0x42000803)")
    let huge: [UInt8] = [
      0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]
    #expect(problem(huge)?.hasSuffix("are impossibly large") == true)
    var type = good
    type[2] = 0x0D
    #expect(problem(type) == "unsupported IDX element type 0x0d (only unsigned bytes, 0x08)")
  }

  @Test func badGzipIsReported() throws {
    let directory = TemporaryDirectory()
    let compressed = Zlib.gzip(
      IDXArray(dimensions: [4000], bytes: (0..<4000).map { UInt8($0 % 251) }).encoded())
    let truncated = directory.file("t.gz")
    try Data(compressed.prefix(compressed.count / 2)).write(to: URL(fileURLWithPath: truncated))
    #expect(
      fileError { () throws(FileError) in try IDXArray.read(truncated) }
        == FileError(truncated, "truncated compressed data (the stream ends early)"))
    var flipped = compressed
    flipped[compressed.count / 2] ^= 0xFF
    let corrupt = directory.file("c.gz")
    try Data(flipped).write(to: URL(fileURLWithPath: corrupt))
    let error = fileError { () throws(FileError) in try IDXArray.read(corrupt) }
    #expect(error?.path == corrupt)
    #expect(error?.problem.hasPrefix("corrupt compressed data (zlib: ") == true)
  }

  @Test func mislabelledFilesAreReported() throws {
    let directory = TemporaryDirectory()
    let names = (0..<10).map(String.init)
    let (images, labels) = try writePair(in: directory, labels: [3, 0, 12, 1])
    #expect(
      fileError { () throws(FileError) in
        try readIDXImageSet(images: images, labels: labels, classNames: names)
      }
        == FileError(labels, "label 12 of image 2 is outside 0..<10"))
    let (images2, labels2) = try writePair(in: directory, labels: [3, 0, 1])
    #expect(
      fileError { () throws(FileError) in
        try readIDXImageSet(images: images2, labels: labels2, classNames: names)
      }
        == FileError(labels2, "has 3 labels but \(images2) has 4 images"))
    #expect(
      fileError { () throws(FileError) in
        try readIDXImageSet(images: labels2, labels: images2, classNames: names)
      }?.problem
        == "expected images of dimensions [count, height, width], found [3]")
    // Well-formed files that hold no images, or images without pixels.
    for (dimensions, expected) in [
      ([0, 28, 28], "holds no images"),
      ([2, 0, 3], "images of 0x3 pixels (height and width must be positive)"),
    ] {
      let empty = directory.file("empty-idx3-ubyte")
      try Data(IDXArray(dimensions: dimensions, bytes: []).encoded()).write(
        to: URL(fileURLWithPath: empty))
      #expect(
        fileError { () throws(FileError) in
          try readIDXImageSet(images: empty, labels: labels2, classNames: names)
        } == FileError(empty, expected))
    }
  }

  @Test func fashionMNISTFromDebian() throws {
    let source = DatasetSource(.fashionMNIST)
    let test = try source.load(.test)
    #expect(test.count == 10_000 && test.channels == 1 && test.height == 28 && test.width == 28)
    #expect(test.classCounts == Array(repeating: 1000, count: 10))
    #expect(test.classNames[9] == "Ankle boot")
    // The first test image is an ankle boot (label 9), as torchvision's FashionMNIST says.
    #expect(test.labels.prefix(5) == [9, 2, 1, 1, 6])
    let (mean, std) = test.channelStatistics()
    #expect(abs(mean[0] - 0.2868) < 0.002 && abs(std[0] - 0.3524) < 0.002)
  }
}
