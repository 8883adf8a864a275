import Foundation

/// Element types of the safetensors format that ContrastLens reads (it writes F32 and I64).
public enum SafeTensorsType: String, Sendable, CaseIterable {
  case float32 = "F32"
  case float64 = "F64"
  case float16 = "F16"
  case bfloat16 = "BF16"
  case int64 = "I64"
  case int32 = "I32"
  case uint8 = "U8"
  case bool = "BOOL"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .uint8, .bool: 1
    case .float16, .bfloat16: 2
    case .float32, .int32: 4
    case .float64, .int64: 8
    }
  }
}

/// One tensor of a safetensors file: shape, element type and little-endian bytes.
public struct SafeTensor: Sendable, Equatable {
  /// Size of each dimension.
  public var shape: [Int]
  /// Element type as stored.
  public var type: SafeTensorsType
  /// Little-endian element bytes, row-major.
  public var bytes: [UInt8]

  /// Number of elements.
  public var count: Int { shape.reduce(1, *) }

  /// An entry from raw bytes (`bytes.count` must match shape and type).
  public init(shape: [Int], type: SafeTensorsType, bytes: [UInt8]) {
    precondition(shape.reduce(1, *) * type.size == bytes.count, "SafeTensor: byte count does not match shape")
    self.shape = shape
    self.type = type
    self.bytes = bytes
  }

  /// A float32 entry holding a tensor's values.
  public init(_ tensor: Tensor) {
    self.init(shape: tensor.shape, type: .float32, bytes: tensor.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) })
  }

  /// An int64 entry (e.g. BatchNorm's `num_batches_tracked`).
  public init(shape: [Int], int64s: [Int64]) {
    self.init(shape: shape, type: .int64, bytes: int64s.withUnsafeBytes { Array($0) })
  }

  private func elements<T>(as _: T.Type) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        if raw.count > 0 { memcpy(buffer.baseAddress!, raw.baseAddress!, raw.count) }
      }
      initialized = count
    }
  }

  /// The elements converted to Float.
  public func floats() -> [Float] {
    switch type {
    case .float32: return elements(as: Float.self)
    case .float64: return elements(as: Double.self).map { Float($0) }
    case .float16: return elements(as: UInt16.self).map { Float(Float16(bitPattern: $0)) }
    case .bfloat16: return elements(as: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
    case .int64: return elements(as: Int64.self).map { Float($0) }
    case .int32: return elements(as: Int32.self).map { Float($0) }
    case .uint8, .bool: return bytes.map { Float($0) }
    }
  }

  /// The elements as a Float32 tensor.
  public var tensor: Tensor { Tensor(shape: shape, scalars: floats()) }
}

/// A safetensors file (the format of Hugging Face's `safetensors`, used by
/// `safetensors.torch.save_file`): named tensors plus optional string metadata.
///
/// Layout: an 8-byte little-endian header length, a JSON header mapping each name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (plus `"__metadata__"`), then
/// the data. Every problem with a file is reported as a `FileError` naming the file
/// and, where it applies, the tensor.
public struct SafeTensorsFile: Sendable, Equatable {
  /// The tensors by name.
  public var tensors: [String: SafeTensor]
  /// The optional `__metadata__` strings.
  public var metadata: [String: String]

  /// A file with these tensors and metadata.
  public init(tensors: [String: SafeTensor], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  /// Reads and validates a safetensors file.
  public static func read(_ path: String) throws(FileError) -> SafeTensorsFile {
    try decode(AtomicFile.bytes(path), path: path)
  }

  /// Decodes the bytes of a safetensors file; `path` only names it in errors.
  public static func decode(_ file: [UInt8], path: String) throws(FileError) -> SafeTensorsFile {
    guard file.count >= 8 else { throw FileError(path, "not a safetensors file: \(file.count) bytes, shorter than the 8-byte header length") }
    let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(file[$1]) << (8 * UInt64($1)) }
    guard headerLength <= UInt64(file.count - 8) else {
      throw FileError(path, "not a safetensors file or truncated: header length \(headerLength) exceeds the \(file.count - 8) bytes after it")
    }
    let dataStart = 8 + Int(headerLength)
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: Data(file[8..<dataStart]))
    } catch {
      throw FileError(path, "corrupt safetensors header: not valid JSON")
    }
    guard let header = json as? [String: Any] else { throw FileError(path, "corrupt safetensors header: not a JSON object") }
    let dataLength = file.count - dataStart
    var tensors = [String: SafeTensor]()
    var metadata = [String: String]()
    var covered = 0
    for (name, value) in header {
      if name == "__metadata__" {
        guard let entries = value as? [String: Any] else { throw FileError(path, "corrupt safetensors header: __metadata__ is not an object") }
        for (key, text) in entries {
          guard let text = text as? String else { throw FileError(path, "corrupt safetensors header: metadata '\(key)' is not a string") }
          metadata[key] = text
        }
        continue
      }
      guard let entry = value as? [String: Any] else { throw FileError(path, "corrupt safetensors header: entry for tensor '\(name)' is not an object") }
      guard let typeName = entry["dtype"] as? String else { throw FileError(path, "tensor '\(name)': no dtype in header") }
      guard let type = SafeTensorsType(rawValue: typeName) else {
        throw FileError(path, "tensor '\(name)': unsupported dtype \(typeName) (supported: \(SafeTensorsType.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      guard let shapeValues = entry["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
        throw FileError(path, "tensor '\(name)': shape is not a list of non-negative integers")
      }
      guard let offsetValues = entry["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2,
        offsets[0] >= 0, offsets[0] <= offsets[1]
      else { throw FileError(path, "tensor '\(name)': data_offsets is not a pair [begin, end]") }
      guard offsets[1] <= dataLength else {
        throw FileError(path, "truncated: tensor '\(name)' ends at byte \(offsets[1]) of the data, which has only \(dataLength) bytes")
      }
      let (elements, overflow) = shape.reduce((1, false)) { partial, d in
        let (p, o) = partial.0.multipliedReportingOverflow(by: d)
        return (p, partial.1 || o)
      }
      let bytes = elements.multipliedReportingOverflow(by: type.size)
      guard !overflow, !bytes.overflow, bytes.partialValue == offsets[1] - offsets[0] else {
        let needed = overflow || bytes.overflow ? "more than an Int of" : "\(bytes.partialValue)"
        throw FileError(path, "tensor '\(name)': shape \(shape) of \(typeName) needs \(needed) bytes, data_offsets span \(offsets[1] - offsets[0])")
      }
      covered += offsets[1] - offsets[0]
      tensors[name] = SafeTensor(shape: shape, type: type, bytes: Array(file[(dataStart + offsets[0])..<(dataStart + offsets[1])]))
    }
    guard covered == dataLength else {
      throw FileError(path, "corrupt safetensors file: tensors cover \(covered) bytes of \(dataLength) data bytes (overlapping entries or trailing bytes)")
    }
    return SafeTensorsFile(tensors: tensors, metadata: metadata)
  }

  private static func integers(_ values: [Any]) -> [Int]? {
    var result = [Int]()
    for value in values {
      guard let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue,
        Swift.abs(number.doubleValue) < 1e15
      else { return nil }
      result.append(number.intValue)
    }
    return result
  }

  /// The bytes of this file: tensors in name order, header padded to 8 bytes.
  public func encoded() -> [UInt8] {
    let names = tensors.keys.sorted()
    var entries = [String]()
    var offset = 0
    for name in names {
      let t = tensors[name]!
      let shape = t.shape.map(String.init).joined(separator: ",")
      entries.append("\(jsonString(name)):{\"dtype\":\"\(t.type.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
      offset += t.bytes.count
    }
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
      entries.insert("\"__metadata__\":{\(pairs.joined(separator: ","))}", at: 0)
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
    var file = [UInt8]()
    file.reserveCapacity(8 + header.count + offset)
    let length = UInt64(header.count)
    for i in 0..<8 { file.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
    file += header
    for name in names { file += tensors[name]!.bytes }
    return file
  }

  /// Writes the file atomically.
  public func write(to path: String) throws(FileError) {
    try AtomicFile.write(Data(encoded()), to: path)
  }
}

/// A JSON string literal.
private func jsonString(_ text: String) -> String {
  var result = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    case "\n": result += "\\n"
    case "\r": result += "\\r"
    case "\t": result += "\\t"
    default:
      if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
    }
  }
  return result + "\""
}
