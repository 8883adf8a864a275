import CZlib
import Engine

/// gzip / zlib / raw-deflate compression through the system zlib, with every failure
/// reported as a `FileError` naming the file.
public enum Zlib {
  /// Decompresses gzip data (also several concatenated gzip members, as `cat a.gz b.gz`
  /// makes) or zlib data; the format is detected from the header. `limit` reads the
  /// size the data's own header promises from what is inflated so far (nil until it can
  /// tell); inflating past it stops with an error, so a small file cannot expand into
  /// gigabytes before its header is checked.
  public static func gunzip(_ compressed: [UInt8], path: String, limit: (([UInt8]) -> Int?)? = nil)
    throws(FileError) -> [UInt8]
  {
    // A gzip file ends with the uncompressed size modulo 2^32: a good first guess.
    var sizeHint = compressed.count * 4
    if compressed.count >= 18 {
      let n = compressed.count
      sizeHint =
        Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16 | Int(
          compressed[n - 1]) << 24
    }
    sizeHint = min(sizeHint, largestInflatedSize(compressed.count))
    return try inflate(
      compressed[...], windowBits: 15 + 32, sizeHint: sizeHint, multiMember: true, limit: limit, path: path)
  }

  /// Decompresses raw deflate data (a zip member) whose size is known.
  public static func inflateRaw(_ compressed: ArraySlice<UInt8>, size: Int, path: String)
    throws(FileError) -> [UInt8]
  {
    guard size >= 0, size <= largestInflatedSize(compressed.count) else {
      throw FileError(
        path, "recorded size \(size) bytes is impossible for \(compressed.count) compressed bytes")
    }
    let output = try inflate(
      compressed, windowBits: -15, sizeHint: size, multiMember: false, limit: { _ in size }, path: path)
    guard output.count == size else {
      throw FileError(
        path, "decompressed size \(output.count) differs from the recorded \(size) bytes")
    }
    return output
  }

  /// Deflate cannot expand data more than about 1032:1, so a size claim above this
  /// bound is corruption (and must not become a huge reservation).
  private static func largestInflatedSize(_ compressedCount: Int) -> Int {
    compressedCount * 1032 + 4096
  }

  private static func inflate(
    _ input: ArraySlice<UInt8>, windowBits: Int32, sizeHint: Int, multiMember: Bool, limit: (([UInt8]) -> Int?)?,
    path: String
  ) throws(FileError) -> [UInt8] {
    var stream = z_stream()
    guard
      inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else {
      throw FileError(path, "cannot start zlib decompression")
    }
    defer { inflateEnd(&stream) }
    var output = [UInt8]()
    output.reserveCapacity(max(0, min(sizeHint, 1 << 31)))
    var scratch = [UInt8](repeating: 0, count: 1 << 18)
    var failure: FileError?
    var cap: Int?
    input.withUnsafeBufferPointer { source in
      guard let base = source.baseAddress, !source.isEmpty else {
        failure = FileError(path, "empty compressed data")
        return
      }
      guard source.count <= Int(UInt32.max) else {
        failure = FileError(path, "compressed data over 4 GiB is not supported")
        return
      }
      stream.next_in = UnsafeMutablePointer(mutating: base)
      stream.avail_in = UInt32(source.count)
      scratch.withUnsafeMutableBufferPointer { buffer in
        while true {
          stream.next_out = buffer.baseAddress
          stream.avail_out = UInt32(buffer.count)
          let status = CZlib.inflate(&stream, Z_NO_FLUSH)
          output.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
          if let limit {
            cap = cap ?? limit(output)
            if let cap, output.count > cap {
              failure = FileError(path, "inflates past the \(cap) bytes its header describes (corrupt, or a decompression bomb)")
              return
            }
          }
          switch status {
          case Z_OK:
            continue
          case Z_STREAM_END:
            let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
            if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) { return }
            guard multiMember, rest.count >= 2, rest[0] == 0x1F, rest[1] == 0x8B else {
              failure = FileError(
                path, "\(rest.count) unexpected bytes after the end of the compressed stream")
              return
            }
            inflateReset(&stream)
          case Z_BUF_ERROR where stream.avail_in == 0:
            failure = FileError(path, "truncated compressed data (the stream ends early)")
            return
          case Z_DATA_ERROR:
            let detail = stream.msg.map { String(cString: $0) } ?? "invalid data"
            failure = FileError(path, "corrupt compressed data (zlib: \(detail))")
            return
          case Z_MEM_ERROR:
            failure = FileError(path, "out of memory while decompressing")
            return
          default:
            failure = FileError(path, "corrupt compressed data (zlib status \(status))")
            return
          }
        }
      }
    }
    if let failure { throw failure }
    return output
  }

  /// Compresses `data` as one gzip member (what `gzip -6` writes).
  public static func gzip(_ data: [UInt8]) -> [UInt8] {
    deflate(data, windowBits: 15 + 16)
  }

  /// Compresses `data` as raw deflate (a zip member's body).
  public static func deflateRaw(_ data: [UInt8]) -> [UInt8] {
    deflate(data, windowBits: -15)
  }

  private static func deflate(_ data: [UInt8], windowBits: Int32) -> [UInt8] {
    var stream = z_stream()
    let started = deflateInit2_(
      &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
      Int32(MemoryLayout<z_stream>.size))
    precondition(started == Z_OK, "zlib deflateInit2 failed with status \(started)")
    defer { deflateEnd(&stream) }
    // deflateBound plus the gzip header and trailer is always enough for one Z_FINISH.
    let bound = Int(deflateBound(&stream, UInt(data.count))) + 32
    var output = [UInt8](repeating: 0, count: bound)
    let written = data.withUnsafeBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
        stream.avail_in = UInt32(source.count)
        stream.next_out = target.baseAddress
        stream.avail_out = UInt32(target.count)
        let status = CZlib.deflate(&stream, Z_FINISH)
        precondition(status == Z_STREAM_END, "zlib deflate did not finish (status \(status))")
        return target.count - Int(stream.avail_out)
      }
    }
    return Array(output[0..<written])
  }

  /// The CRC-32 of `data` (the checksum of gzip, zip and PNG).
  public static func crc32(_ data: ArraySlice<UInt8>) -> UInt32 {
    data.withUnsafeBufferPointer { buffer in
      UInt32(CZlib.crc32(0, buffer.baseAddress, UInt32(buffer.count)))
    }
  }
}
