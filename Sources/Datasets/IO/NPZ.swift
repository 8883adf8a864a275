import Engine
import Foundation

/// NumPy `.npz` archives: a zip of `.npy` members, stored (`np.savez`) or deflated
/// (`np.savez_compressed`), including the zip64 headers NumPy writes.
public enum NPZ {
  /// Reads every member of an `.npz` file; keys are the member names without `.npy`.
  public static func read(_ path: String) throws(FileError) -> [String: NPYArray] {
    try decode(Array(AtomicFile.read(path)), path: path)
  }

  /// Decodes the bytes of an `.npz` file; `path` only names it in errors.
  public static func decode(_ file: [UInt8], path: String) throws(FileError) -> [String: NPYArray] {
    var arrays = [String: NPYArray]()
    for entry in try ZipDirectory.entries(file, path: path) {
      guard entry.name.hasSuffix(".npy") else { continue }
      let body = try ZipDirectory.contents(of: entry, in: file, path: path)
      let key = String(entry.name.dropLast(4))
      do {
        arrays[key] = try NPYArray.decode(body, path: path)
      } catch {
        throw FileError(path, "member \(entry.name): \(error.problem)")
      }
    }
    return arrays
  }

  /// The bytes of an `.npz` holding `arrays` (members in key order). `compressed`
  /// deflates the members as `np.savez_compressed` does; otherwise they are stored.
  public static func encode(_ arrays: [String: NPYArray], compressed: Bool = false) -> [UInt8] {
    var writer = ZipWriter()
    for (key, array) in arrays.sorted(by: { $0.key < $1.key }) {
      writer.add(name: key + ".npy", contents: array.encoded(), compressed: compressed)
    }
    return writer.finish()
  }

  /// Writes `arrays` to `path` atomically as an `.npz`.
  public static func write(_ arrays: [String: NPYArray], to path: String, compressed: Bool = false)
    throws(FileError)
  {
    try AtomicFile.write(Data(encode(arrays, compressed: compressed)), to: path)
  }
}

/// The central directory of a zip file, enough of the format for `.npz`.
enum ZipDirectory {
  struct Entry {
    var name: String
    var method: Int
    var crc: UInt32
    var compressedSize: Int
    var size: Int
    var localHeaderOffset: Int
  }

  static func entries(_ file: [UInt8], path: String) throws(FileError) -> [Entry] {
    guard file.count >= 22 else { throw FileError(path, "not a zip/.npz file (too short)") }
    guard file[0..<4] == [0x50, 0x4B, 0x03, 0x04] || file[0..<4] == [0x50, 0x4B, 0x05, 0x06] else {
      throw FileError(path, "not a zip/.npz file (bad magic bytes 0x\(hex(file[0..<4])))")
    }
    // The end-of-central-directory record sits in the last 22 + 65535 bytes.
    var end = -1
    var position = file.count - 22
    while position >= max(0, file.count - 22 - 65535) {
      if file.le32(position) == 0x0605_4B50 {
        end = position
        break
      }
      position -= 1
    }
    guard end >= 0 else {
      throw FileError(path, "truncated or corrupt zip: no end-of-central-directory record")
    }
    var count = Int(file.le16(end + 10))
    var directorySize = Int(file.le32(end + 12))
    var directoryOffset = Int(file.le32(end + 16))
    if count == 0xFFFF || directoryOffset == 0xFFFF_FFFF || directorySize == 0xFFFF_FFFF {
      // zip64: a locator just before the record points at the zip64 end record.
      let locator = end - 20
      guard locator >= 0, file.le32(locator) == 0x0706_4B50 else {
        throw FileError(path, "corrupt zip64 archive: no end-of-central-directory locator")
      }
      let record = Int(truncatingIfNeeded: file.le64(locator + 8))
      // Offsets and sizes read from the file are compared by subtraction, so that a
      // corrupt value near Int.max is an error rather than an overflow trap.
      guard record >= 0, record <= file.count - 56, file.le32(record) == 0x0606_4B50 else {
        throw FileError(path, "corrupt zip64 archive: bad end-of-central-directory record")
      }
      count = Int(truncatingIfNeeded: file.le64(record + 32))
      directorySize = Int(truncatingIfNeeded: file.le64(record + 40))
      directoryOffset = Int(truncatingIfNeeded: file.le64(record + 48))
    }
    guard count >= 0, directoryOffset >= 0, directorySize >= 0, directoryOffset <= file.count,
      directorySize <= file.count - directoryOffset
    else {
      throw FileError(path, "truncated zip: the central directory lies past the end of the file")
    }
    var entries = [Entry]()
    var offset = directoryOffset
    for _ in 0..<count {
      guard offset + 46 <= file.count, file.le32(offset) == 0x0201_4B50 else {
        throw FileError(path, "corrupt zip: bad central directory entry")
      }
      let flags = file.le16(offset + 8)
      let nameLength = Int(file.le16(offset + 28))
      let extraLength = Int(file.le16(offset + 30))
      let commentLength = Int(file.le16(offset + 32))
      guard offset + 46 + nameLength + extraLength <= file.count else {
        throw FileError(path, "truncated zip: central directory entry cut off")
      }
      var entry = Entry(
        name: String(decoding: file[offset + 46..<offset + 46 + nameLength], as: UTF8.self),
        method: Int(file.le16(offset + 10)), crc: file.le32(offset + 16),
        compressedSize: Int(file.le32(offset + 20)), size: Int(file.le32(offset + 24)),
        localHeaderOffset: Int(file.le32(offset + 42)))
      guard flags & 1 == 0 else { throw FileError(path, "member \(entry.name) is encrypted") }
      applyZip64(
        extra: file[offset + 46 + nameLength..<offset + 46 + nameLength + extraLength], to: &entry)
      entries.append(entry)
      offset += 46 + nameLength + extraLength + commentLength
    }
    return entries
  }

  /// Replaces 0xFFFFFFFF sizes and offsets by the values of a zip64 extra field.
  private static func applyZip64(extra: ArraySlice<UInt8>, to entry: inout Entry) {
    var p = extra.startIndex
    while p + 4 <= extra.endIndex {
      let id = Int(extra[p]) | Int(extra[p + 1]) << 8
      let size = Int(extra[p + 2]) | Int(extra[p + 3]) << 8
      if id == 1 {
        var q = p + 4
        func next() -> Int? {
          guard q + 8 <= p + 4 + size, q + 8 <= extra.endIndex else { return nil }
          defer { q += 8 }
          return (0..<8).reduce(0) { $0 | Int(extra[q + $1]) << (8 * $1) }
        }
        if entry.size == 0xFFFF_FFFF, let value = next() { entry.size = value }
        if entry.compressedSize == 0xFFFF_FFFF, let value = next() { entry.compressedSize = value }
        if entry.localHeaderOffset == 0xFFFF_FFFF, let value = next() {
          entry.localHeaderOffset = value
        }
      }
      p += 4 + size
    }
  }

  /// The uncompressed, CRC-checked bytes of `entry`.
  static func contents(of entry: Entry, in file: [UInt8], path: String) throws(FileError) -> [UInt8]
  {
    let header = entry.localHeaderOffset
    guard header >= 0, header <= file.count - 30, file.le32(header) == 0x0403_4B50 else {
      throw FileError(path, "corrupt zip: bad local header of member \(entry.name)")
    }
    let start = header + 30 + Int(file.le16(header + 26)) + Int(file.le16(header + 28))
    guard entry.compressedSize >= 0, entry.compressedSize <= file.count - start else {
      throw FileError(path, "truncated zip: member \(entry.name) is cut off")
    }
    let body = file[start..<start + entry.compressedSize]
    let data: [UInt8]
    switch entry.method {
    case 0:
      data = Array(body)
    case 8:
      data = try Zlib.inflateRaw(body, size: entry.size, path: path)
    default:
      throw FileError(
        path,
        "member \(entry.name) uses zip compression method \(entry.method) (only stored and deflate)"
      )
    }
    guard data.count == entry.size else {
      throw FileError(
        path, "member \(entry.name) has \(data.count) bytes, its header says \(entry.size)")
    }
    guard Zlib.crc32(data[...]) == entry.crc else {
      throw FileError(path, "member \(entry.name) is corrupt (CRC-32 mismatch)")
    }
    return data
  }
}

/// Builds a zip archive in memory (no zip64: members and archive under 4 GiB).
struct ZipWriter {
  private var bytes = [UInt8]()
  private var directory = [UInt8]()
  private var count = 0

  mutating func add(name: String, contents: [UInt8], compressed: Bool) {
    let body = compressed ? Zlib.deflateRaw(contents) : contents
    precondition(
      bytes.count + body.count < Int(UInt32.max), "ZipWriter: archive over 4 GiB needs zip64")
    let nameBytes = Array(name.utf8)
    let crc = Zlib.crc32(contents[...])
    let method: UInt16 = compressed ? 8 : 0
    // Fixed DOS time (1980-01-01 00:00) so equal inputs give equal files.
    var common = [UInt8]()
    common.appendLE16(20)  // version needed
    common.appendLE16(0)  // flags
    common.appendLE16(method)
    common.appendLE16(0)  // time
    common.appendLE16(0x21)  // date
    common.appendLE32(crc)
    common.appendLE32(UInt32(body.count))
    common.appendLE32(UInt32(contents.count))
    common.appendLE16(UInt16(nameBytes.count))
    common.appendLE16(0)  // extra length

    let offset = UInt32(bytes.count)
    bytes.appendLE32(0x0403_4B50)
    bytes += common + nameBytes + body

    directory.appendLE32(0x0201_4B50)
    directory.appendLE16(20)  // version made by
    directory += common
    directory.appendLE16(0)  // comment length
    directory.appendLE16(0)  // disk number
    directory.appendLE16(0)  // internal attributes
    directory.appendLE32(0)  // external attributes
    directory.appendLE32(offset)
    directory += nameBytes
    count += 1
  }

  func finish() -> [UInt8] {
    var archive = bytes + directory
    archive.appendLE32(0x0605_4B50)
    archive.appendLE16(0)
    archive.appendLE16(0)
    archive.appendLE16(UInt16(count))
    archive.appendLE16(UInt16(count))
    archive.appendLE32(UInt32(directory.count))
    archive.appendLE32(UInt32(bytes.count))
    archive.appendLE16(0)
    return archive
  }
}

extension [UInt8] {
  func le16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
  func le32(_ offset: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * $1) }
  }
  func le64(_ offset: Int) -> UInt64 {
    (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * $1) }
  }
  mutating func appendLE16(_ value: UInt16) {
    append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)])
  }
  mutating func appendLE32(_ value: UInt32) {
    for k in 0..<4 { append(UInt8(truncatingIfNeeded: value >> (8 * k))) }
  }
}
