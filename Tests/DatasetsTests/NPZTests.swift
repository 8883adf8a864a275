import Engine
import Foundation
import TestSupport
import Testing

@testable import Datasets

struct NPZTests {
  static let names = ["u8", "i64", "f32", "f64"]

  /// Archives NumPy wrote (np.savez stores, np.savez_compressed deflates, both with
  /// zip64 local headers) hold the same arrays as the .npy files next to them.
  @Test(arguments: ["stored", "compressed"]) func readsWhatNumPyWrites(kind: String) throws {
    let arrays = try NPZ.read(fixturePath("files/\(kind).npz"))
    #expect(arrays.keys.sorted() == Self.names.sorted())
    for name in Self.names {
      #expect(arrays[name] == (try NPYArray.read(fixturePath("files/array_\(name).npy"))))
    }
    #expect(
      arrays["u8"]?.type == .uint8 && arrays["i64"]?.type == .int64
        && arrays["f32"]?.shape == [2, 3, 2])
  }

  @Test(arguments: [false, true]) func writeReadRoundTrip(compressed: Bool) throws {
    let directory = TemporaryDirectory()
    var arrays = [String: NPYArray]()
    for name in Self.names {
      arrays[name] = try NPYArray.read(fixturePath("files/array_\(name).npy"))
    }
    arrays["big"] = NPYArray(shape: [300, 7], floats: (0..<2100).map { Float($0 % 13) })
    let path = directory.file("out.npz")
    try NPZ.write(arrays, to: path, compressed: compressed)
    #expect(try NPZ.read(path) == arrays)
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    #expect(compressed ? size < 4000 : size > 8400)
  }

  @Test func corruptArchivesGiveTheDocumentedErrors() throws {
    let stored = NPZ.encode(["a": NPYArray(shape: [64], floats: (0..<64).map(Float.init))])
    func problem(_ bytes: [UInt8]) -> String? {
      fileError { () throws(FileError) in try NPZ.decode(bytes, path: "x.npz") }?.problem
    }
    #expect(
      problem(Array(stored.prefix(stored.count - 30)))
        == "truncated or corrupt zip: no end-of-central-directory record")
    #expect(problem(Array(stored.prefix(10))) == "not a zip/.npz file (too short)")
    var magic = stored
    magic[0] = 0x93
    #expect(problem(magic) == "not a zip/.npz file (bad magic bytes 0x934b0304)")
    var flipped = stored
    flipped[200] ^= 0x01  // inside the member's float data
    #expect(problem(flipped) == "member a.npy is corrupt (CRC-32 mismatch)")
    let compressed = NPZ.encode(
      ["a": NPYArray(shape: [64], floats: (0..<64).map(Float.init))], compressed: true)
    var deflated = compressed
    deflated[60] ^= 0xFF
    #expect(problem(deflated)?.hasPrefix("corrupt compressed data (zlib: ") == true)
    // A member that is not a valid .npy: the NPY reader's error, naming the member.
    var writer = ZipWriter()
    writer.add(
      name: "m.npy",
      contents: Array(
        NPYArray(shape: [8], uint8s: Array(repeating: 1, count: 8)).encoded().dropLast(3)),
      compressed: true)
    #expect(
      problem(writer.finish())
        == "member m.npy: truncated data: shape [8] of uint8 needs 8 bytes, file has 5")
  }

  /// Little-endian bytes of `value`.
  static func le(_ value: UInt64, _ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
  }

  /// Offsets and sizes near Int.max in zip64 fields are errors, not overflow traps.
  @Test func hugeZip64FieldsAreErrors() {
    let huge: UInt64 = 0x7FFF_FFFF_FFFF_FFF0
    let plain = NPZ.encode(["a": NPYArray(shape: [2], uint8s: [1, 2])])
    func problem(_ bytes: [UInt8]) -> String? {
      fileError { () throws(FileError) in try NPZ.decode(bytes, path: "x.npz") }?.problem
    }
    // The end record says zip64; a zip64 record (at `recordAt`) holds the directory.
    func zip64(size: UInt64, offset: UInt64, recordAt: UInt64? = nil) -> [UInt8] {
      var bytes = Array(plain.dropLast(22))
      let record = UInt64(bytes.count)
      bytes += Self.le(0x0606_4B50, 4) + Self.le(44, 8) + Self.le(45, 4) + Self.le(0, 8)
      bytes += Self.le(1, 8) + Self.le(1, 8) + Self.le(size, 8) + Self.le(offset, 8)
      bytes +=
        Self.le(0x0706_4B50, 4) + Self.le(0, 4) + Self.le(recordAt ?? record, 8) + Self.le(1, 4)
      bytes += Self.le(0x0605_4B50, 4) + Self.le(0, 4) + Self.le(0xFFFF_FFFF, 4)
      return bytes + Self.le(0xFFFF_FFFF, 4) + Self.le(0xFFFF_FFFF, 4) + Self.le(0, 2)
    }
    #expect(
      problem(zip64(size: 10, offset: 0, recordAt: huge))
        == "corrupt zip64 archive: bad end-of-central-directory record")
    let pastTheEnd = "truncated zip: the central directory lies past the end of the file"
    #expect(problem(zip64(size: 100, offset: huge)) == pastTheEnd)
    #expect(problem(zip64(size: huge, offset: 100)) == pastTheEnd)
    // A directory entry whose zip64 extra field replaces its local header offset (bytes
    // 42..<46) or its compressed size (bytes 20..<24).
    for (field, expected) in [
      (42, "corrupt zip: bad local header of member a.npy"),
      (20, "truncated zip: member a.npy is cut off"),
    ] {
      let directory = plain.count - 22 - 46 - 5
      var bytes = plain
      #expect(bytes.le32(directory) == 0x0201_4B50)
      for k in field..<field + 4 { bytes[directory + k] = 0xFF }
      let extra = Self.le(1, 2) + Self.le(8, 2) + Self.le(huge, 8)
      bytes[directory + 30] = UInt8(extra.count)
      bytes.insert(contentsOf: extra, at: directory + 46 + 5)
      bytes[bytes.count - 22 + 12] += UInt8(extra.count)  // the directory's size
      #expect(problem(bytes) == expected)
    }
    // A deflated member claiming more bytes than deflate can expand to.
    var writer = ZipWriter()
    writer.add(
      name: "a.npy", contents: NPYArray(shape: [2], uint8s: [1, 2]).encoded(), compressed: true)
    var claim = writer.finish()
    let directory = claim.count - 22 - 46 - 5
    for k in 24..<28 { claim[directory + k] = 0xFF }
    #expect(problem(claim)?.hasPrefix("recorded size 4294967295 bytes is impossible") == true)
  }
}

struct NumpyImagesTests {
  let labels = NPYArray(shape: [2], int64s: [1, 0])

  @Test func layoutsAndTypes() throws {
    // [N, H, W, C] uint8 (NumPy / PIL order) becomes CHW.
    let hwc = NPYArray(shape: [2, 2, 1, 3], uint8s: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    let a = try NumpyImages.imageSet(images: hwc, labels: labels, imagesPath: "i", labelsPath: "l")
    #expect(
      a.channels == 3 && a.height == 2 && a.width == 1
        && a.pixels == [1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12])
    #expect(a.classNames == ["0", "1"])
    // [N, C, H, W] float32 in [0, 1] is rounded to bytes.
    let chw = NPYArray(shape: [2, 1, 1, 2], floats: [0, 1, 0.5, 0.2])
    let b = try NumpyImages.imageSet(
      images: chw, labels: labels, imagesPath: "i", labelsPath: "l", classNames: ["x", "y", "z"])
    #expect(b.channels == 1 && b.pixels == [0, 255, 128, 51] && b.classCount == 3)
    // [N, H, W] float64 with float labels.
    let plain = NPYArray(shape: [2, 1, 1], doubles: [0.25, 0.75])
    let c = try NumpyImages.imageSet(
      images: plain, labels: NPYArray(shape: [2], floats: [2, 0]), imagesPath: "i", labelsPath: "l")
    #expect(c.pixels == [64, 191] && c.labels == [2, 0])
  }

  @Test func badArraysAreReported() throws {
    let images = NPYArray(shape: [2, 1, 2], floats: [0, 1.5, 0, 0])
    #expect(
      fileError { () throws(FileError) in
        try NumpyImages.imageSet(images: images, labels: labels, imagesPath: "i", labelsPath: "l")
      }
        == FileError("i", "element 1 is 1.5: float images must lie in [0, 1] (un-normalised; normalisation happens inside the model)"))
    let good = NPYArray(shape: [2, 1, 2], uint8s: [0, 1, 2, 3])
    #expect(
      fileError { () throws(FileError) in
        try NumpyImages.imageSet(
          images: good, labels: NPYArray(shape: [3], int64s: [0, 1, 1]), imagesPath: "i",
          labelsPath: "l")
      } == FileError("l", "expected 2 labels (shape [2]) to match the images, found shape [3]"))
    #expect(
      fileError { () throws(FileError) in
        try NumpyImages.imageSet(
          images: good, labels: NPYArray(shape: [2], int64s: [0, 5]), imagesPath: "i",
          labelsPath: "l", classNames: ["a", "b"])
      } == FileError("l", "label 5 of image 1 is outside 0..<2"))
    #expect(
      fileError { () throws(FileError) in
        try NumpyImages.imageSet(
          images: NPYArray(shape: [2, 5, 5, 5], uint8s: Array(repeating: 0, count: 250)),
          labels: labels, imagesPath: "i", labelsPath: "l")
      }?.problem.hasPrefix("expected images of shape") == true)
    for (shape, expected) in [
      ([0, 2, 2], "holds no images"),
      ([2, 2, 0], "images of 2x0 pixels (height and width must be positive)"),
    ] {
      #expect(
        fileError { () throws(FileError) in
          try NumpyImages.imageSet(
            images: NPYArray(shape: shape, uint8s: []), labels: labels, imagesPath: "i",
            labelsPath: "l")
        } == FileError("i", expected))
    }
    // Without class names a corrupt huge label must not make a billion classes.
    #expect(
      fileError { () throws(FileError) in
        try NumpyImages.imageSet(
          images: good, labels: NPYArray(shape: [2], int64s: [0, 1 << 40]), imagesPath: "i",
          labelsPath: "l")
      }?.problem.hasPrefix("label 1099511627776 would make 1099511627777 classes") == true)
  }
}
