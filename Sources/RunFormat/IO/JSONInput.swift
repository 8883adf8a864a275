import Engine
import Foundation

/// Decoding of the JSON and JSON-lines files of a run directory, with errors that name
/// the file, the line and the key.
public enum JSONInput {
  /// Decodes one JSON document; `line` (1-based) names the line of a `.jsonl` file.
  public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>, path: String, line: Int? = nil)
    throws(FileError) -> T
  {
    let place = line.map { "line \($0): " } ?? ""
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    do {
      return try decoder.decode(T.self, from: Data(quotingNonFiniteNumbers(bytes)))
    } catch let error as DecodingError {
      throw FileError(path, place + describe(error))
    } catch let error as FileError {
      throw FileError(path, place + error.problem)
    } catch {
      throw FileError(path, place + "not valid JSON")
    }
  }

  /// Decodes one JSON document from a file.
  public static func read<T: Decodable>(_ type: T.Type, from path: String) throws(FileError) -> T {
    try decode(T.self, from: Array(AtomicFile.read(path)), path: path)
  }

  /// Python's `json` module writes NaN and infinities as the bare words NaN, Infinity
  /// and -Infinity, which JSON does not allow; quoting them lets the decoder turn them
  /// back into numbers (figures then skip and count them).
  static func quotingNonFiniteNumbers(_ bytes: some Collection<UInt8>) -> [UInt8] {
    let input = Array(bytes)
    var output = [UInt8]()
    output.reserveCapacity(input.count + 8)
    var inString = false
    var index = 0
    let words: [[UInt8]] = [Array("-Infinity".utf8), Array("Infinity".utf8), Array("NaN".utf8)]
    while index < input.count {
      let byte = input[index]
      if inString {
        output.append(byte)
        if byte == UInt8(ascii: "\\"), index + 1 < input.count {
          output.append(input[index + 1])
          index += 2
          continue
        }
        if byte == UInt8(ascii: "\"") { inString = false }
        index += 1
        continue
      }
      if byte == UInt8(ascii: "\"") {
        inString = true
      } else if let word = words.first(where: {
        index + $0.count <= input.count && Array(input[index..<index + $0.count]) == $0
      }) {
        output.append(UInt8(ascii: "\""))
        output += word
        output.append(UInt8(ascii: "\""))
        index += word.count
        continue
      }
      output.append(byte)
      index += 1
    }
    return output
  }

  private static func describe(_ error: DecodingError) -> String {
    func location(_ path: [CodingKey]) -> String {
      path.isEmpty
        ? "" : " at '" + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "'"
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "missing key '\(key.stringValue)'\(location(context.codingPath))"
    case .typeMismatch(let type, let context):
      return "wrong type\(location(context.codingPath)): expected \(type)"
    case .valueNotFound(let type, let context):
      return "missing value\(location(context.codingPath)): expected \(type)"
    case .dataCorrupted(let context):
      // The parser's own messages become "not valid JSON"; the records' checks say what is wrong.
      if context.underlyingError != nil || context.debugDescription.contains("not valid JSON") {
        return "not valid JSON"
      }
      if context.debugDescription.hasPrefix("Cannot initialize") || context.debugDescription.isEmpty {
        return context.codingPath.isEmpty ? "not valid JSON" : "bad value\(location(context.codingPath))"
      }
      return context.debugDescription + location(context.codingPath)
    @unknown default:
      return "cannot be read"
    }
  }
}
