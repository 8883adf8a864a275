import Engine
import Foundation
import PNGShim

/// PNG decoding and encoding through libpng (the C shim keeps libpng's setjmp error
/// handling out of Swift frames).
public enum PNGFile {
  /// A decoded PNG: 8-bit samples, rows top to bottom, channels interleaved (HWC).
  public struct Decoded: Sendable, Equatable {
    /// 1 (greyscale) or 3 (RGB).
    public var channels: Int
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int
    /// `height * width * channels` bytes.
    public var samples: [UInt8]
  }

  /// Reads a PNG file as 8-bit greyscale (1 channel) or RGB (3 channels), the way PIL's
  /// `convert("RGB")` treats colour: alpha and transparency are dropped and palettes
  /// expanded. 16-bit samples are scaled to 8 bits with rounding (`round(v / 257)`,
  /// where PIL would truncate or clip) and 1/2/4-bit grey is stretched to 0..255.
  public static func read(_ path: String) throws(FileError) -> Decoded {
    var pixels: UnsafeMutablePointer<UInt8>?
    var width: UInt32 = 0
    var height: UInt32 = 0
    var channels: UInt32 = 0
    var message = [CChar](repeating: 0, count: 256)
    let status = pngshim_read(path, &pixels, &width, &height, &channels, &message, message.count)
    guard status == Int32(PNGSHIM_OK), let pixels else {
      let text = String(
        decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if status == Int32(PNGSHIM_EOPEN) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        throw FileError(
          path,
          exists
            ? (isDirectory.boolValue
              ? "is a directory, expected a PNG file" : "cannot read file (permissions?)")
            : "no such file")
      }
      throw FileError(
        path,
        status == Int32(PNGSHIM_ENOTPNG) ? "not a PNG file (bad signature)" : "corrupt PNG: \(text)"
      )
    }
    defer { pngshim_free(pixels) }
    let count = Int(width) * Int(height) * Int(channels)
    return Decoded(
      channels: Int(channels), height: Int(height), width: Int(width),
      samples: Array(UnsafeBufferPointer(start: pixels, count: count)))
  }

  /// The bytes of a PNG holding `samples` (HWC, `channels` 1 grey, 2 grey+alpha, 3 RGB,
  /// 4 RGBA), 8 bits per sample.
  public static func encode(
    samples: [UInt8], channels: Int, height: Int, width: Int, interlaced: Bool = false
  ) throws(FileError) -> [UInt8] {
    precondition(
      samples.count == channels * height * width, "PNGFile.encode: sample count does not match")
    return try encode(
      raw: samples, channels: channels, height: height, width: width, bitDepth: 8,
      interlaced: interlaced)
  }

  /// The bytes of a 16-bit PNG holding `samples` (HWC, as for the 8-bit form).
  public static func encode(
    samples16 samples: [UInt16], channels: Int, height: Int, width: Int, interlaced: Bool = false
  ) throws(FileError) -> [UInt8] {
    precondition(
      samples.count == channels * height * width, "PNGFile.encode: sample count does not match")
    return try encode(
      raw: samples, channels: channels, height: height, width: width, bitDepth: 16,
      interlaced: interlaced)
  }

  private static func encode<T>(
    raw samples: [T], channels: Int, height: Int, width: Int, bitDepth: Int, interlaced: Bool
  ) throws(FileError) -> [UInt8] {
    var encoded: UnsafeMutablePointer<UInt8>?
    var length = 0
    var message = [CChar](repeating: 0, count: 256)
    let status = samples.withUnsafeBytes { raw in
      pngshim_encode(
        raw.baseAddress, UInt32(width), UInt32(height), UInt32(channels), UInt32(bitDepth),
        interlaced ? 1 : 0,
        &encoded, &length, &message, message.count)
    }
    guard status == Int32(PNGSHIM_OK), let encoded else {
      let text = String(
        decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw FileError("<png>", "cannot encode PNG: \(text)")
    }
    defer { pngshim_free(encoded) }
    return Array(UnsafeBufferPointer(start: encoded, count: length))
  }

  /// Writes an `Image` with values in [0, 1] as an 8-bit greyscale or RGB PNG
  /// (atomically), rounding to the nearest byte.
  public static func write(_ image: Image, to path: String) throws(FileError) {
    precondition(image.channels == 1 || image.channels == 3, "PNGFile.write: 1 or 3 channels")
    let plane = image.height * image.width
    var samples = [UInt8](repeating: 0, count: plane * image.channels)
    for p in 0..<plane {
      for c in 0..<image.channels {
        let value = image.pixels[c * plane + p]
        samples[p * image.channels + c] = UInt8((min(max(value, 0), 1) * 255).rounded())
      }
    }
    let bytes: [UInt8]
    do {
      bytes = try encode(
        samples: samples, channels: image.channels, height: image.height, width: image.width)
    } catch {
      throw FileError(path, error.problem)
    }
    try AtomicFile.write(Data(bytes), to: path)
  }
}
