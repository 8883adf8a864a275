import Foundation

/// The element types ContrastLens reads and writes in NumPy `.npy` files.
public enum NPYType: String, Sendable, CaseIterable {
  case float32 = "<f4"
  case float64 = "<f8"
  case uint8 = "|u1"
  case int32 = "<i4"
  case int64 = "<i8"
  case bool = "|b1"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .uint8, .bool: 1
    case .float32, .int32: 4
    case .float64, .int64: 8
    }
  }

  init?(descr: String) {
    // NumPy writes "<u1" or "|u1" for bytes, and "=" only in memory; accept the aliases.
    switch descr {
    case "<f4", "=f4": self = .float32
    case "<f8", "=f8": self = .float64
    case "|u1", "<u1", "=u1": self = .uint8
    case "<i4", "=i4": self = .int32
    case "<i8", "=i8": self = .int64
    case "|b1": self = .bool
    default: return nil
    }
  }
}

/// An n-dimensional array as stored in a `.npy` file: shape, element type and the raw
/// little-endian bytes in C order.
///
/// ```swift
/// let x = try NPYArray.read("features.npy")      // float32 [N, D]
/// let features: [Float] = try x.floats()          // converted from any numeric dtype
/// try NPYArray(shape: [n, 2], floats: embedding).write(to: "tsne.npy")
/// ```
public struct NPYArray: Sendable, Equatable {
  public var shape: [Int]
  public var type: NPYType
  /// Raw element bytes, little-endian, C order; `count * type.size` long.
  public var bytes: [UInt8]

  /// Number of elements (the product of the shape).
  public var count: Int { shape.reduce(1, *) }

  public init(shape: [Int], type: NPYType, bytes: [UInt8]) {
    precondition(shape.reduce(1, *) * type.size == bytes.count, "NPYArray: byte count does not match shape")
    self.shape = shape
    self.type = type
    self.bytes = bytes
  }

  public init(shape: [Int], floats: [Float]) {
    self.init(shape: shape, type: .float32, bytes: floats.withUnsafeBytes { Array($0) })
  }

  public init(shape: [Int], doubles: [Double]) {
    self.init(shape: shape, type: .float64, bytes: doubles.withUnsafeBytes { Array($0) })
  }

  public init(shape: [Int], int64s: [Int64]) {
    self.init(shape: shape, type: .int64, bytes: int64s.withUnsafeBytes { Array($0) })
  }

  public init(shape: [Int], uint8s: [UInt8]) {
    self.init(shape: shape, type: .uint8, bytes: uint8s)
  }

  private func elements<T>(as _: T.Type) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        _ = memcpy(buffer.baseAddress!, raw.baseAddress!, raw.count)
      }
      initialized = count
    }
  }

  /// The elements as Float, converting from any numeric type.
  public func floats() -> [Float] {
    switch type {
    case .float32: elements(as: Float.self)
    case .float64: elements(as: Double.self).map { Float($0) }
    case .uint8, .bool: bytes.map { Float($0) }
    case .int32: elements(as: Int32.self).map { Float($0) }
    case .int64: elements(as: Int64.self).map { Float($0) }
    }
  }

  /// The elements as Double, converting from any numeric type.
  public func doubles() -> [Double] {
    switch type {
    case .float32: elements(as: Float.self).map { Double($0) }
    case .float64: elements(as: Double.self)
    case .uint8, .bool: bytes.map { Double($0) }
    case .int32: elements(as: Int32.self).map { Double($0) }
    case .int64: elements(as: Int64.self).map { Double($0) }
    }
  }

  /// The elements as Int, for labels; nil when the type is floating point and a value
  /// is not a whole number.
  public func integers() -> [Int]? {
    switch type {
    case .uint8, .bool: return bytes.map { Int($0) }
    case .int32: return elements(as: Int32.self).map { Int($0) }
    case .int64: return elements(as: Int64.self).map { Int($0) }
    case .float32, .float64:
      var result = [Int]()
      result.reserveCapacity(count)
      for value in doubles() {
        guard value.rounded() == value, abs(value) < 1e15 else { return nil }
        result.append(Int(value))
      }
      return result
    }
  }

  // MARK: - File format

  private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

  /// Reads a `.npy` file (format versions 1–3, little-endian, C order).
  public static func read(_ path: String) throws(FileError) -> NPYArray {
    try decode(Array(AtomicFile.read(path)), path: path)
  }

  /// Decodes the bytes of a `.npy` file; `path` only names it in errors.
  public static func decode(_ file: [UInt8], path: String) throws(FileError) -> NPYArray {
    guard file.count >= 10, Array(file[0..<6]) == magic else {
      throw FileError(path, "not a NumPy .npy file (bad magic bytes)")
    }
    let major = file[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(file[8]) | Int(file[9]) << 8
      headerStart = 10
    case 2, 3:
      guard file.count >= 12 else { throw FileError(path, "truncated .npy header") }
      headerLength = (0..<4).reduce(0) { $0 | Int(file[8 + $1]) << (8 * $1) }
      headerStart = 12
    default:
      throw FileError(path, "unsupported .npy format version \(major)")
    }
    guard file.count >= headerStart + headerLength else { throw FileError(path, "truncated .npy header") }
    let header = String(decoding: file[headerStart..<headerStart + headerLength], as: UTF8.self)
    let (type, fortranOrder, shape) = try parseHeader(header, path: path)
    if fortranOrder && shape.count > 1 {
      throw FileError(path, "Fortran-order arrays are not supported; save with np.ascontiguousarray")
    }
    let dataStart = headerStart + headerLength
    var expected = type.size
    for dimension in shape {
      let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw FileError(path, "corrupt .npy header: shape \(shape) is impossibly large") }
      expected = product
    }
    let found = file.count - dataStart
    guard found >= expected else {
      throw FileError(path, "truncated data: shape \(shape) of \(type) needs \(expected) bytes, file has \(found)")
    }
    guard found == expected else {
      throw FileError(path, "\(found - expected) unexpected bytes after the data of shape \(shape)")
    }
    return NPYArray(shape: shape, type: type, bytes: Array(file[dataStart...]))
  }

  private static func parseHeader(_ header: String, path: String) throws(FileError) -> (NPYType, Bool, [Int]) {
    func value(of key: String) -> Substring? {
      guard let range = header.range(of: "'\(key)':") else { return nil }
      return header[range.upperBound...].drop { $0 == " " }
    }
    guard let descrValue = value(of: "descr"), descrValue.first == "'",
      let descrEnd = descrValue.dropFirst().firstIndex(of: "'")
    else { throw FileError(path, "corrupt .npy header: no 'descr'") }
    let descr = String(descrValue[descrValue.index(after: descrValue.startIndex)..<descrEnd])
    guard let type = NPYType(descr: descr) else {
      throw FileError(path, "unsupported dtype '\(descr)' (supported: float32, float64, uint8, int32, int64, bool; little-endian)")
    }
    guard let fortranValue = value(of: "fortran_order") else {
      throw FileError(path, "corrupt .npy header: no 'fortran_order'")
    }
    let fortran = fortranValue.hasPrefix("True")
    guard let shapeValue = value(of: "shape"), shapeValue.first == "(",
      let close = shapeValue.firstIndex(of: ")")
    else { throw FileError(path, "corrupt .npy header: no 'shape'") }
    var shape = [Int]()
    for part in shapeValue[shapeValue.index(after: shapeValue.startIndex)..<close].split(separator: ",") {
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { continue }
      guard let dimension = Int(trimmed), dimension >= 0 else {
        throw FileError(path, "corrupt .npy header: bad shape entry '\(trimmed)'")
      }
      shape.append(dimension)
    }
    return (type, fortran, shape)
  }

  /// The bytes of this array as a version-1 `.npy` file.
  public func encoded() -> [UInt8] {
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(type.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
    // Pad with spaces so that magic + version + length + header + "\n" is a multiple of 64.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let length = header.utf8.count
    var file = NPYArray.magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
    file += Array(header.utf8)
    file += bytes
    return file
  }

  /// Writes this array to `path` atomically.
  public func write(to path: String) throws(FileError) {
    try AtomicFile.write(Data(encoded()), to: path)
  }
}
