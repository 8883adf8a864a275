/// The entries of a zip archive as PyTorch writes its checkpoints (`torch.save` since
/// 1.6): every entry stored uncompressed, located through the central directory (with
/// zip64 records for large archives). Compressed or encrypted entries are refused, so
/// nothing is ever inflated. Only the directory and headers are read here; entries are
/// read when they are needed.
struct ZipArchive {
  /// Where one entry's bytes lie in the archive.
  struct Entry {
    let name: String
    let range: Range<Int>
  }

  /// The entries by name.
  let entries: [String: Entry]

  init(_ file: any ByteSource) throws(FileError) {
    let path = file.path
    guard file.size >= 22 else { throw FileError(path, "not a zip archive: \(file.size) bytes") }
    let tailStart = max(0, file.size - 22 - 65_535)
    let tail = try file.bytes(at: tailStart, count: file.size - tailStart)
    let endInTail = try Self.endOfCentralDirectory(tail, path: path)
    let end = tailStart + endInTail
    var record = ByteReader(tail, path: path)
    record.position = endInTail + 10
    var count = Int(try record.u16())
    var directorySize = Int(try record.u32())
    var directoryOffset = Int(try record.u32())
    func fits(_ value: UInt64) throws(FileError) -> Int {
      guard value <= UInt64(file.size) else {
        throw FileError(path, "corrupt zip archive: offset or size \(value) beyond the file's \(file.size) bytes")
      }
      return Int(value)
    }
    if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
      // zip64: the locator sits just before the end record and points at the zip64 record.
      guard end >= 20 else { throw FileError(path, "corrupt zip archive: no zip64 locator") }
      var locator = try file.reader(at: end - 20, count: 20)
      try locator.expect(0x0706_4b50, "the zip64 locator")
      locator.position = 8
      var zip64 = try file.reader(at: try fits(try locator.u64()), count: 56)
      try zip64.expect(0x0606_4b50, "the zip64 end-of-directory record")
      zip64.position = 32
      count = try fits(try zip64.u64())
      directorySize = try fits(try zip64.u64())
      directoryOffset = try fits(try zip64.u64())
    }
    guard count <= directorySize / 46 else { throw FileError(path, "corrupt zip archive: \(count) entries in a directory of \(directorySize) bytes") }
    var directory = try file.reader(at: directoryOffset, count: directorySize)
    var entries = [String: Entry]()
    for _ in 0..<count {
      try directory.expect(0x0201_4b50, "a directory entry")
      directory.position += 4
      let flags = try directory.u16()
      let method = try directory.u16()
      directory.position += 8
      var compressed = Int(try directory.u32())
      var size = Int(try directory.u32())
      let nameLength = Int(try directory.u16())
      let extraLength = Int(try directory.u16())
      let commentLength = Int(try directory.u16())
      directory.position += 8
      var headerOffset = Int(try directory.u32())
      let name = String(decoding: try directory.bytes(nameLength), as: UTF8.self)
      let extraEnd = directory.position + extraLength
      // zip64 extra field: the 64-bit sizes and offset for the fields saturated above.
      while directory.position + 4 <= extraEnd {
        let tag = try directory.u16()
        let length = Int(try directory.u16())
        let next = directory.position + length
        if tag == 1 {
          if size == 0xFFFF_FFFF { size = try fits(try directory.u64()) }
          if compressed == 0xFFFF_FFFF { compressed = try fits(try directory.u64()) }
          if headerOffset == 0xFFFF_FFFF { headerOffset = try fits(try directory.u64()) }
        }
        directory.position = next
      }
      directory.position = extraEnd + commentLength
      guard flags & 1 == 0 else { throw FileError(path, "zip entry '\(name)' is encrypted") }
      guard method == 0, compressed == size else {
        throw FileError(path, "zip entry '\(name)' is compressed (method \(method)); PyTorch stores its entries uncompressed, so this is not a checkpoint written by torch.save")
      }
      // The local header repeats the name and has its own extra field; the data follows.
      var local = try file.reader(at: headerOffset, count: 30)
      try local.expect(0x0403_4b50, "the local header of '\(name)'")
      local.position = 26
      let start = headerOffset + 30 + Int(try local.u16()) + Int(try local.u16())
      guard start <= file.size, size <= file.size - start else {
        throw FileError(path, "truncated zip archive: entry '\(name)' (\(size) bytes) runs past the end of the file")
      }
      entries[name] = Entry(name: name, range: start..<(start + size))
    }
    self.entries = entries
  }

  /// The offset of the end-of-central-directory record, searched backwards over the
  /// largest comment a zip file may carry.
  private static func endOfCentralDirectory(_ file: [UInt8], path: String) throws(FileError) -> Int {
    guard file.count >= 22 else { throw FileError(path, "not a zip archive: \(file.count) bytes") }
    let lowest = max(0, file.count - 22 - 65_535)
    var position = file.count - 22
    while position >= lowest {
      if file[position] == 0x50, file[position + 1] == 0x4b, file[position + 2] == 5, file[position + 3] == 6 {
        return position
      }
      position -= 1
    }
    throw FileError(path, "truncated or corrupt zip archive: no end-of-directory record")
  }
}

/// Little-endian reads from a byte array that fail with a `FileError` past its end.
struct ByteReader {
  let bytes: [UInt8]
  let path: String
  var position = 0

  init(_ bytes: [UInt8], path: String) {
    self.bytes = bytes
    self.path = path
  }

  mutating func bytes(_ count: Int) throws(FileError) -> ArraySlice<UInt8> {
    guard count >= 0, position >= 0, position <= bytes.count, count <= bytes.count - position else {
      throw FileError(path, "truncated: needs \(count) bytes at offset \(position) of \(bytes.count)")
    }
    defer { position += count }
    return bytes[position..<(position + count)]
  }

  mutating func u8() throws(FileError) -> UInt8 { try bytes(1).first! }

  mutating func u16() throws(FileError) -> UInt16 { UInt16(try unsigned(2)) }

  mutating func u32() throws(FileError) -> UInt32 { UInt32(try unsigned(4)) }

  mutating func u64() throws(FileError) -> UInt64 { try unsigned(8) }

  mutating func unsigned(_ count: Int) throws(FileError) -> UInt64 {
    try bytes(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
  }

  /// A 64-bit size or offset from the file, as an Int that fits the file.
  func offset(_ value: UInt64) throws(FileError) -> Int {
    guard value <= UInt64(bytes.count) else {
      throw FileError(path, "corrupt: offset or size \(value) beyond the file's \(bytes.count) bytes")
    }
    return Int(value)
  }

  mutating func expect(_ signature: UInt32, _ what: String) throws(FileError) {
    guard try u32() == signature else { throw FileError(path, "corrupt zip archive: \(what) is missing") }
  }
}
