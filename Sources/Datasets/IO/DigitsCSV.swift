import Engine
import Foundation

/// The UCI handwritten digits as a CSV (gzip-compressed or plain): one image per line,
/// 64 pixel values 0..16 (8x8, row-major) then the class label 0..9.
///
/// A copy (1,797 images, CC BY 4.0, E. Alpaydin and C. Kaynak) ships with the module,
/// so tests and examples have real images without any download.
public enum DigitsCSV {
  /// Path of the bundled `digits.csv.gz`: in SwiftPM's resource folder next to the
  /// executable, else in the source tree this module was built from; nil when neither
  /// exists (an installed binary whose resource folder was not copied along). Looked up
  /// by hand because SwiftPM's `Bundle.module` stops the process when the folder is
  /// missing.
  public static var bundledPath: String? {
    let candidates = [
      Bundle.main.bundleURL.appendingPathComponent("ContrastLens_Datasets.resources/digits.csv.gz")
        .path,
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Resources/digits.csv.gz").path,
    ]
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
  }

  /// Reads a digits CSV. Pixels 0..16 become bytes `round(v * 255 / 16)`, so [0, 1]
  /// floats later are `v / 16` to within 1/510.
  public static func read(_ path: String) throws(FileError) -> ImageSet {
    var bytes = Array(try AtomicFile.read(path))
    if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
      bytes = try Zlib.gunzip(bytes, path: path)
    }
    var pixels = [UInt8]()
    var labels = [Int]()
    var lineNumber = 0
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      let text = String(decoding: line, as: UTF8.self).trimmingCharacters(
        in: .whitespacesAndNewlines)
      if text.isEmpty { continue }
      let fields = text.split(separator: ",", omittingEmptySubsequences: false)
      guard fields.count == 65 else {
        throw FileError(
          path, "line \(lineNumber): \(fields.count) values, expected 65 (64 pixels and a label)")
      }
      var values = [Int]()
      for field in fields {
        guard let value = Int(field.trimmingCharacters(in: .whitespaces)) else {
          throw FileError(path, "line \(lineNumber): '\(field)' is not an integer")
        }
        values.append(value)
      }
      if let bad = values[0..<64].first(where: { $0 < 0 || $0 > 16 }) {
        throw FileError(path, "line \(lineNumber): pixel value \(bad) is outside 0...16")
      }
      guard (0..<10).contains(values[64]) else {
        throw FileError(path, "line \(lineNumber): label \(values[64]) is outside 0..<10")
      }
      pixels += values[0..<64].map { UInt8(($0 * 255 + 8) / 16) }
      labels.append(values[64])
    }
    guard !labels.isEmpty else { throw FileError(path, "no images in the file") }
    return ImageSet(
      pixels: pixels, labels: labels, channels: 1, height: 8, width: 8,
      classNames: (0..<10).map(String.init))
  }
}
