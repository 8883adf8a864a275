import CZlib
import Engine
import Foundation

/// Encodes a Cairo ARGB32 image as PNG.
///
/// Cairo's own writer (libpng with adaptive filtering and zlib level 6) spends most of
/// a large scatter's render time compressing. Plots are mostly flat colour, so choosing
/// per row between no filter and the "up" filter, then deflating at level 1, gives files
/// of about the same size several times faster; pieces of rows compress in parallel.
/// Opaque images are written as RGB.
enum PNGEncoder {
  /// Rows per independently compressed piece. Fixed, so the file does not depend on
  /// the number of threads.
  static let rowsPerPiece = 128

  static func encode(_ pixels: ImagePixels, dpi: Double, threads: ThreadCount) throws(PlotError) -> [UInt8] {
    let width = pixels.width, height = pixels.height
    var opaque = true
    for y in 0..<height where opaque {
      let row = pixels.base + y * pixels.stride
      for x in 0..<width where row[x] >> 24 != 0xFF {
        opaque = false
        break
      }
    }
    // Pieces of rows are filtered and deflated on their own threads, each ending on a
    // byte boundary (a sync flush), then joined into one zlib stream as pigz does.
    let pieces = (height + rowsPerPiece - 1) / rowsPerPiece
    let results = PieceResults(count: pieces)
    let isOpaque = opaque
    parallelFor(chunks: pieces, threads: threads) { piece in
      let rows = piece * rowsPerPiece..<min(height, (piece + 1) * rowsPerPiece)
      results.store(piece, compressPiece(pixels, rows: rows, opaque: isOpaque, last: piece == pieces - 1))
    }
    var stream: [UInt8] = [0x78, 0x01]  // zlib header: deflate, 32 KiB window, fastest
    var checksum: uLong = adler32(0, nil, 0)
    for piece in 0..<pieces {
      guard let result = results.value(piece) else { throw PlotError("zlib could not compress the PNG") }
      stream += result.bytes
      checksum = adler32_combine(checksum, result.adler, off_t(result.length))
    }
    stream += bigEndian(UInt32(truncatingIfNeeded: checksum))

    var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, opaque ? 2 : 6, 0, 0, 0]  // 8-bit RGB or RGBA, deflate, no interlace
    appendChunk("IHDR", header, to: &file)
    let perMetre = UInt32((dpi / 0.0254).rounded())
    appendChunk("pHYs", bigEndian(perMetre) + bigEndian(perMetre) + [1], to: &file)
    appendChunk("IDAT", stream, to: &file)
    appendChunk("IEND", [], to: &file)
    return file
  }

  /// One piece of the stream: raw deflate of its filtered rows, with their Adler-32.
  struct Piece: Sendable {
    var bytes: [UInt8]
    var adler: uLong
    var length: Int
  }

  private static func compressPiece(_ pixels: ImagePixels, rows: Range<Int>, opaque: Bool, last: Bool) -> Piece? {
    let width = pixels.width
    let rowBytes = width * (opaque ? 3 : 4)
    guard let deflater = try? Deflater(level: 1) else { return nil }
    var previous = [UInt8](repeating: 0, count: rowBytes)
    var current = [UInt8](repeating: 0, count: rowBytes)
    var filtered = [UInt8](repeating: 0, count: rowBytes + 1)
    if rows.lowerBound > 0 {
      unpack(row: pixels.base + (rows.lowerBound - 1) * pixels.stride, width: width, opaque: opaque, into: &previous)
    }
    var adler = adler32(0, nil, 0)
    for y in rows {
      unpack(row: pixels.base + y * pixels.stride, width: width, opaque: opaque, into: &current)
      // The "up" filter turns a row equal to the one above into zeros; keep it when its
      // bytes are smaller in magnitude, as libpng's heuristic does.
      var costNone = 0, costUp = 0
      for i in 0..<rowBytes {
        costNone += abs(Int(Int8(bitPattern: current[i])))
        costUp += abs(Int(Int8(bitPattern: current[i] &- previous[i])))
      }
      if costUp < costNone {
        filtered[0] = 2
        for i in 0..<rowBytes { filtered[1 + i] = current[i] &- previous[i] }
      } else {
        filtered[0] = 0
        for i in 0..<rowBytes { filtered[1 + i] = current[i] }
      }
      adler = adler32(adler, filtered, uInt(filtered.count))
      guard
        (try? deflater.add(filtered, flush: y == rows.upperBound - 1 ? (last ? Z_FINISH : Z_SYNC_FLUSH) : Z_NO_FLUSH))
          != nil
      else { return nil }
      swap(&previous, &current)
    }
    return Piece(bytes: deflater.output, adler: adler, length: rows.count * (rowBytes + 1))
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

/// The compressed pieces, each written by one worker.
private final class PieceResults: @unchecked Sendable {
  private var values: [PNGEncoder.Piece?]
  private let lock = NSLock()

  init(count: Int) { values = Array(repeating: nil, count: count) }

  func store(_ index: Int, _ piece: PNGEncoder.Piece?) {
    lock.lock()
    values[index] = piece
    lock.unlock()
  }

  func value(_ index: Int) -> PNGEncoder.Piece? { values[index] }
}

/// A deflate stream that compresses pieces as they come; zlib's state is freed with the value.
private final class Deflater {
  private var stream = z_stream()
  private var ended = false
  private(set) var output = [UInt8]()
  private var chunk = [UInt8](repeating: 0, count: 1 << 16)

  /// A raw deflate stream (no zlib header or checksum) at `level`.
  init(level: Int32) throws(PlotError) {
    let status = deflateInit2_(
      &stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else { throw PlotError("zlib could not start compressing (status \(status))") }
  }

  deinit { if !ended { deflateEnd(&stream) } }

  /// Compresses `bytes`; `flush` is Z_NO_FLUSH, Z_SYNC_FLUSH (end on a byte boundary)
  /// or Z_FINISH (end the stream).
  func add(_ bytes: [UInt8], flush: Int32) throws(PlotError) {
    let finish = flush == Z_FINISH
    var status = Z_OK
    bytes.withUnsafeBufferPointer { input in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
      stream.avail_in = uInt(input.count)
      repeat {
        chunk.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(out.count)
          status = deflate(&stream, flush)
          output.append(contentsOf: out[0..<(out.count - Int(stream.avail_out))])
        }
      } while stream.avail_out == 0 && status == Z_OK
    }
    if finish {
      deflateEnd(&stream)
      ended = true
    }
    guard status == (finish ? Z_STREAM_END : Z_OK) || (status == Z_BUF_ERROR && !finish) else {
      throw PlotError("zlib could not compress the PNG (status \(status))")
    }
  }
}
