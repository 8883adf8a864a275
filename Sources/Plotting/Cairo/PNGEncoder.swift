import CZlib

/// Encodes a Cairo ARGB32 image as PNG.
///
/// Cairo's own writer (libpng with adaptive filtering and zlib level 6) spends most of
/// a large scatter's render time compressing. Plots are mostly flat colour, so choosing
/// per row between no filter and the "up" filter, then deflating at level 3, gives files
/// of about the same size several times faster. Opaque images are written as RGB.
enum PNGEncoder {
  static func encode(_ pixels: ImagePixels, dpi: Double) throws(PlotError) -> [UInt8] {
    let width = pixels.width, height = pixels.height
    var opaque = true
    for y in 0..<height where opaque {
      let row = pixels.base + y * pixels.stride
      for x in 0..<width where row[x] >> 24 != 0xFF {
        opaque = false
        break
      }
    }
    let channels = opaque ? 3 : 4
    let rowBytes = width * channels
    var filtered = [UInt8](repeating: 0, count: height * (rowBytes + 1))
    var previous = [UInt8](repeating: 0, count: rowBytes)
    var current = [UInt8](repeating: 0, count: rowBytes)
    filtered.withUnsafeMutableBufferPointer { output in
      for y in 0..<height {
        unpack(row: pixels.base + y * pixels.stride, width: width, opaque: opaque, into: &current)
        // The "up" filter turns a row equal to the one above into zeros; keep it when
        // its bytes are smaller in magnitude, as libpng's heuristic does.
        var costNone = 0, costUp = 0
        for i in 0..<rowBytes {
          let raw = Int(Int8(bitPattern: current[i]))
          let up = Int(Int8(bitPattern: current[i] &- previous[i]))
          costNone += abs(raw)
          costUp += abs(up)
        }
        let start = y * (rowBytes + 1)
        if costUp < costNone {
          output[start] = 2
          for i in 0..<rowBytes { output[start + 1 + i] = current[i] &- previous[i] }
        } else {
          output[start] = 0
          for i in 0..<rowBytes { output[start + 1 + i] = current[i] }
        }
        swap(&previous, &current)
      }
    }
    var compressedLength = compressBound(uLong(filtered.count))
    var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
    let status = compress2(&compressed, &compressedLength, filtered, uLong(filtered.count), 3)
    guard status == Z_OK else { throw PlotError("zlib could not compress the PNG (status \(status))") }
    compressed.removeSubrange(Int(compressedLength)...)

    var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, opaque ? 2 : 6, 0, 0, 0]  // 8-bit RGB or RGBA, deflate, no interlace
    appendChunk("IHDR", header, to: &file)
    let perMetre = UInt32((dpi / 0.0254).rounded())
    appendChunk("pHYs", bigEndian(perMetre) + bigEndian(perMetre) + [1], to: &file)
    appendChunk("IDAT", compressed, to: &file)
    appendChunk("IEND", [], to: &file)
    return file
  }

  /// One row of premultiplied ARGB words as straight RGB(A) bytes.
  private static func unpack(row: UnsafeMutablePointer<UInt32>, width: Int, opaque: Bool, into bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBufferPointer { out in
      if opaque {
        for x in 0..<width {
          let p = row[x]
          out[3 * x] = UInt8((p >> 16) & 0xFF)
          out[3 * x + 1] = UInt8((p >> 8) & 0xFF)
          out[3 * x + 2] = UInt8(p & 0xFF)
        }
      } else {
        for x in 0..<width {
          let p = row[x]
          let a = p >> 24
          func straight(_ c: UInt32) -> UInt8 { a == 0 ? 0 : UInt8(min(255, (c * 255 + a / 2) / a)) }
          out[4 * x] = straight((p >> 16) & 0xFF)
          out[4 * x + 1] = straight((p >> 8) & 0xFF)
          out[4 * x + 2] = straight(p & 0xFF)
          out[4 * x + 3] = UInt8(a)
        }
      }
    }
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }

  private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
    let typeBytes = Array(type.utf8)
    file += bigEndian(UInt32(data.count))
    let body = typeBytes + data
    file += body
    file += bigEndian(UInt32(crc32(0, body, uInt(body.count))))
  }
}
