import Engine
import Foundation

/// Encoding of run-directory records: keys sorted, slashes unescaped, and NaN or
/// infinities written as the strings "NaN", "Infinity" and "-Infinity" (JSON has no
/// such numbers; `JSONInput` reads them back, and Python's bare words too).
public enum JSONOutput {
  /// One JSON document on one line (a JSON-lines record, or what `--json` prints).
  public static func line<T: Encodable>(_ value: T) throws(FileError) -> String {
    String(decoding: try encode(value, pretty: false), as: UTF8.self)
  }

  /// The bytes of `value` as JSON; `pretty` indents for files people read.
  public static func encode<T: Encodable>(_ value: T, pretty: Bool) throws(FileError) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    do {
      return try encoder.encode(value)
    } catch {
      throw FileError(String(describing: T.self), "cannot be encoded as JSON: \(error)")
    }
  }

  /// Writes `value` atomically to `path` as indented JSON with a final newline.
  public static func write<T: Encodable>(_ value: T, to path: String) throws(FileError) {
    var data = try encode(value, pretty: true)
    data.append(UInt8(ascii: "\n"))
    try AtomicFile.write(data, to: path)
  }
}
