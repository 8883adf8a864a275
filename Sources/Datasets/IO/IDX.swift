import Engine

/// An array from an IDX file (the format of MNIST and Fashion-MNIST): big-endian
/// dimensions followed by unsigned bytes.
public struct IDXArray: Sendable, Equatable {
  /// The dimensions, outermost first (`[60000, 28, 28]` for an image file).
  public var dimensions: [Int]
  /// The elements, row-major.
  public var bytes: [UInt8]

  /// An array of the given dimensions; `bytes` must hold their product of elements.
  public init(dimensions: [Int], bytes: [UInt8]) {
    precondition(
      dimensions.reduce(1, *) == bytes.count, "IDXArray: byte count does not match dimensions")
    self.dimensions = dimensions
    self.bytes = bytes
  }

  /// Reads an IDX file, plain or gzip-compressed (detected from its first bytes).
  public static func read(_ path: String) throws(FileError) -> IDXArray {
    var file = Array(try AtomicFile.read(path))
    if file.count >= 2, file[0] == 0x1F, file[1] == 0x8B {
      file = try Zlib.gunzip(file, path: path, limit: promisedSize)
    }
    return try decode(file, path: path)
  }

  /// The file size an IDX header promises (header plus the product of its dimensions),
  /// once the header's bytes are there; `Int.max` when the product overflows (`decode`
  /// then names the problem).
  static func promisedSize(_ header: [UInt8]) -> Int? {
    guard header.count >= 4 else { return nil }
    let rank = Int(header[3])
    guard header.count >= 4 + 4 * rank else { return nil }
    var size = 1
    for d in 0..<rank {
      let o = 4 + 4 * d
      let dimension = Int(header[o]) << 24 | Int(header[o + 1]) << 16 | Int(header[o + 2]) << 8 | Int(header[o + 3])
      let (product, overflow) = size.multipliedReportingOverflow(by: dimension)
      guard !overflow else { return Int.max }
      size = product
    }
    let (total, overflow) = size.addingReportingOverflow(4 + 4 * rank)
    return overflow ? Int.max : total
  }

  /// Decodes the (uncompressed) bytes of an IDX file; `path` only names it in errors.
  public static func decode(_ file: [UInt8], path: String) throws(FileError) -> IDXArray {
    guard file.count >= 4 else {
      throw FileError(path, "truncated IDX header (\(file.count) bytes)")
    }
    guard file[0] == 0, file[1] == 0 else {
      throw FileError(path, "not an IDX file (bad magic bytes 0x\(hex(file[0..<4])))")
    }
    guard file[2] == 0x08 else {
      throw FileError(
        path, "unsupported IDX element type 0x\(hex(file[2...2])) (only unsigned bytes, 0x08)")
    }
    let rank = Int(file[3])
    guard rank >= 1 else { throw FileError(path, "corrupt IDX header: zero dimensions") }
    let dataStart = 4 + 4 * rank
    guard file.count >= dataStart else {
      throw FileError(path, "truncated IDX header (\(file.count) bytes)")
    }
    var dimensions = [Int]()
    for d in 0..<rank {
      let o = 4 + 4 * d
      dimensions.append(
        Int(file[o]) << 24 | Int(file[o + 1]) << 16 | Int(file[o + 2]) << 8 | Int(file[o + 3]))
    }
    var expected = 1
    for d in dimensions {
      let (product, overflow) = expected.multipliedReportingOverflow(by: d)
      guard !overflow else {
        throw FileError(path, "corrupt IDX header: dimensions \(dimensions) are impossibly large")
      }
      expected = product
    }
    let found = file.count - dataStart
    guard found >= expected else {
      throw FileError(
        path, "truncated data: dimensions \(dimensions) need \(expected) bytes, file has \(found)")
    }
    guard found == expected else {
      throw FileError(
        path, "\(found - expected) unexpected bytes after the data of dimensions \(dimensions)")
    }
    return IDXArray(dimensions: dimensions, bytes: Array(file[dataStart...]))
  }

  /// The bytes of this array as an (uncompressed) IDX file.
  public func encoded() -> [UInt8] {
    var file: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for d in dimensions {
      file += [
        UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16),
        UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d),
      ]
    }
    return file + bytes
  }
}

/// Reads an MNIST-style pair of IDX files (images `[N, H, W]`, labels `[N]`) into an
/// `ImageSet`, checking that the counts agree and every label names one of the classes.
public func readIDXImageSet(
  images imagesPath: String, labels labelsPath: String, classNames: [String]
) throws(FileError) -> ImageSet {
  let images = try IDXArray.read(imagesPath)
  let labels = try IDXArray.read(labelsPath)
  guard images.dimensions.count == 3 else {
    throw FileError(
      imagesPath, "expected images of dimensions [count, height, width], found \(images.dimensions)"
    )
  }
  try checkedImageShape(
    count: images.dimensions[0], height: images.dimensions[1], width: images.dimensions[2],
    path: imagesPath)
  guard labels.dimensions.count == 1 else {
    throw FileError(labelsPath, "expected labels of dimensions [count], found \(labels.dimensions)")
  }
  guard labels.dimensions[0] == images.dimensions[0] else {
    throw FileError(
      labelsPath,
      "has \(labels.dimensions[0]) labels but \(imagesPath) has \(images.dimensions[0]) images")
  }
  let classLabels = try checkedLabels(
    labels.bytes.map(Int.init), classCount: classNames.count, path: labelsPath)
  return ImageSet(
    pixels: images.bytes, labels: classLabels, channels: 1, height: images.dimensions[1],
    width: images.dimensions[2],
    classNames: classNames)
}

/// Returns `labels` when every one lies in `0..<classCount`, else a `FileError` naming
/// the first that does not.
func checkedLabels(_ labels: [Int], classCount: Int, path: String) throws(FileError) -> [Int] {
  if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
    throw FileError(path, "label \(labels[bad]) of image \(bad) is outside 0..<\(classCount)")
  }
  return labels
}

/// Throws unless the file holds at least one image of positive height and width: an
/// empty set or zero-sized images read fine but would stop training with a crash in the
/// first crop.
func checkedImageShape(count: Int, height: Int, width: Int, path: String) throws(FileError) {
  guard count > 0 else { throw FileError(path, "holds no images") }
  guard height > 0, width > 0 else {
    throw FileError(path, "images of \(height)x\(width) pixels (height and width must be positive)")
  }
}

/// Bytes as space-free hex, for error messages.
func hex(_ bytes: ArraySlice<UInt8>) -> String {
  bytes.map { byte in
    let digits = String(byte, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
  }.joined()
}
