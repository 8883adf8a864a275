import Datasets
import Engine
import Foundation
import TestSupport
import Testing

/// Every binary parser the tool reads user files with, over mutated copies of valid
/// files (fixed seeds): each case is accepted with a consistent result or refused with
/// one line naming the file, never a trap. `CLENS_FUZZ_CASES` raises the count
/// (`Benchmarks/fuzz.sh`).
@Suite struct ParserFuzzTests {
  let directory = TemporaryDirectory()
  static let cases = FileFuzzer.caseCount(standard: 1500)

  static func floats(_ count: Int) -> [Float] { (0..<count).map { Float($0 % 13) * 0.25 - 1 } }

  static func images(count: Int, channels: Int, size: Int) -> ImageSet {
    ImageSet(
      pixels: (0..<count * channels * size * size).map { UInt8(truncatingIfNeeded: $0 &* 37) },
      labels: (0..<count).map { $0 % 10 }, channels: channels, height: size, width: size,
      classNames: (0..<10).map(String.init))
  }

  func expectClean(_ outcome: FuzzOutcome, _ name: String) {
    #expect(outcome.badMessages.isEmpty, "\(name): \(outcome)")
    #expect(outcome.accepted + outcome.refused == Self.cases, "\(name): \(outcome)")
    // A fuzzer whose mutations were all harmless (or all fatal) would test nothing.
    #expect(outcome.refused > Self.cases / 4, "\(name): \(outcome)")
  }

  @Test(arguments: [NPYType.float32, .float64, .int64, .uint8])
  func npy(_ type: NPYType) {
    let valid: NPYArray
    switch type {
    case .float64: valid = NPYArray(shape: [3, 5], doubles: Self.floats(15).map(Double.init))
    case .int64: valid = NPYArray(shape: [15], int64s: (0..<15).map(Int64.init))
    case .uint8: valid = NPYArray(shape: [3, 1, 5], uint8s: (0..<15).map(UInt8.init))
    default: valid = NPYArray(shape: [3, 5], floats: Self.floats(15))
    }
    var fuzzer = FileFuzzer(seed: 1, text: true)
    let path = "x.npy"
    let outcome = fuzzer.run(valid.encoded(), cases: Self.cases, path: path) { bytes in
      let array = try NPYArray.decode(bytes, path: path)
      #expect(array.bytes.count == array.count * array.type.size)
    }
    expectClean(outcome, "npy \(type)")
  }

  @Test(arguments: [false, true])
  func npz(_ compressed: Bool) {
    let valid = NPZ.encode(
      [
        "x": NPYArray(shape: [4, 6], floats: Self.floats(24)),
        "y": NPYArray(shape: [4], int64s: [0, 1, 2, 3]),
      ], compressed: compressed)
    var fuzzer = FileFuzzer(seed: 2)
    let path = "x.npz"
    let outcome = fuzzer.run(valid, cases: Self.cases, path: path) { bytes in
      for (_, array) in try NPZ.decode(bytes, path: path) {
        #expect(array.bytes.count == array.count * array.type.size)
      }
    }
    expectClean(outcome, "npz compressed \(compressed)")
  }

  @Test(arguments: [false, true])
  func idx(_ gzipped: Bool) throws {
    let plain = IDXArray(dimensions: [6, 5, 4], bytes: (0..<120).map(UInt8.init)).encoded()
    var fuzzer = FileFuzzer(seed: 3)
    let path = directory.file(gzipped ? "x.idx.gz" : "x.idx")
    let outcome = fuzzer.run(gzipped ? Zlib.gzip(plain) : plain, cases: Self.cases, path: path) { bytes in
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      let array = try IDXArray.read(path)
      #expect(array.bytes.count == array.dimensions.reduce(1, *))
    }
    expectClean(outcome, "idx gzipped \(gzipped)")
  }

  @Test(arguments: [false, true])
  func cifar(_ hundred: Bool) throws {
    let images = Self.images(count: 3, channels: 3, size: 32)
    let valid = CIFARBinary.encode(images, coarseLabels: hundred ? [1, 2, 3] : nil)
    let layout = hundred ? CIFARBinary.Layout.cifar100(coarse: false) : .cifar10
    let classes = hundred ? 100 : 10
    var fuzzer = FileFuzzer(seed: 4)
    let path = "data_batch_1.bin"
    let outcome = fuzzer.run(valid, cases: Self.cases, path: path) { bytes in
      let (pixels, labels) = try CIFARBinary.decode(bytes, layout: layout, path: path)
      #expect(pixels.count == labels.count * CIFARBinary.imageBytes)
      #expect(labels.allSatisfy { $0 >= 0 && $0 < classes })
    }
    // A record has no header: only a size change or an impossible label can be noticed.
    #expect(outcome.badMessages.isEmpty, "\(outcome)")
    #expect(outcome.refused > Self.cases / 4 && outcome.accepted > 0, "\(outcome)")
  }

  @Test(arguments: [1, 3])
  func png(_ channels: Int) throws {
    let valid = try PNGFile.encode(
      samples: (0..<channels * 48).map { UInt8(truncatingIfNeeded: $0 &* 11) }, channels: channels,
      height: 6, width: 8, interlaced: channels == 3)
    var fuzzer = FileFuzzer(seed: 5)
    let path = directory.file("image.png")
    let outcome = fuzzer.run(valid, cases: Self.cases, path: path) { bytes in
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      let image = try PNGFile.read(path)
      #expect(image.samples.count == image.height * image.width * image.channels)
    }
    expectClean(outcome, "png \(channels) channels")
  }

  @Test func safetensors() {
    let valid = SafeTensorsFile(
      tensors: [
        "conv.weight": SafeTensor(Tensor(shape: [2, 1, 2, 2], scalars: Self.floats(8))),
        "bn.num_batches_tracked": SafeTensor(shape: [], int64s: [7]),
      ], metadata: ["step": "3"]
    ).encoded()
    var fuzzer = FileFuzzer(seed: 6, text: true)
    let path = "model.safetensors"
    let outcome = fuzzer.run(valid, cases: Self.cases, path: path) { bytes in
      for (_, tensor) in try SafeTensorsFile.decode(bytes, path: path).tensors {
        #expect(tensor.bytes.count == tensor.count * tensor.type.size)
      }
    }
    expectClean(outcome, "safetensors")
  }

  @Test(arguments: [false, true])
  func digitsCSV(_ gzipped: Bool) throws {
    let lines = (0..<4).map { row in
      ((0..<64).map { String(($0 + row) % 17) } + [String(row)]).joined(separator: ",")
    }
    let plain = Array((lines.joined(separator: "\n") + "\n").utf8)
    var fuzzer = FileFuzzer(seed: 7, text: true)
    let path = directory.file(gzipped ? "digits.csv.gz" : "digits.csv")
    let outcome = fuzzer.run(gzipped ? Zlib.gzip(plain) : plain, cases: Self.cases, path: path) { bytes in
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      let images = try DigitsCSV.read(path)
      #expect(images.pixels.count == images.count * 64)
    }
    #expect(outcome.badMessages.isEmpty, "\(outcome)")
    #expect(outcome.refused > Self.cases / 4, "\(outcome)")
  }

  /// The fuzzer's own promise: a trap-free parser that accepts everything is caught by
  /// the refusal floor, and a message without the path is caught as a bad message.
  @Test func theHarnessCanFail() {
    var fuzzer = FileFuzzer(seed: 8)
    let lax = fuzzer.run([1, 2, 3, 4], cases: 50, path: "p") { _ in }
    #expect(lax.accepted == 50 && lax.refused == 0)
    let unnamed = fuzzer.run([1, 2, 3, 4], cases: 50, path: "p") { _ in throw FileError("q", "bad") }
    #expect(unnamed.badMessages.count == 50)
    struct Unnamed: Error {}
    let foreign = fuzzer.run([1, 2], cases: 5, path: "p") { _ in throw Unnamed() }
    #expect(foreign.badMessages.count == 5)
  }
}
