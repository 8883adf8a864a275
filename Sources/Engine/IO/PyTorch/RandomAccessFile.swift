import Foundation

/// Bytes read in pieces: a checkpoint on disk, or one already in memory.
protocol ByteSource {
  /// The name errors give.
  var path: String { get }
  var size: Int { get }
  /// The bytes at `offset ..< offset + count`, which must lie in the source.
  func bytes(at offset: Int, count: Int) throws(FileError) -> [UInt8]
}

extension ByteSource {
  /// A reader of the `count` bytes at `offset`, its positions counted from `offset`.
  func reader(at offset: Int, count: Int) throws(FileError) -> ByteReader {
    ByteReader(try bytes(at: offset, count: count), path: path)
  }

  /// Fails unless `offset ..< offset + count` lies in the source.
  func check(_ offset: Int, _ count: Int) throws(FileError) {
    guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
      throw FileError(path, "truncated: needs \(count) bytes at offset \(offset) of \(size)")
    }
  }
}

/// Bytes already in memory (a decoded buffer, the tests' mutated files).
struct MemoryBytes: ByteSource {
  let path: String
  let all: [UInt8]
  var size: Int { all.count }

  func bytes(at offset: Int, count: Int) throws(FileError) -> [UInt8] {
    try check(offset, count)
    return Array(all[offset..<(offset + count)])
  }
}

/// A file read in pieces (`pread`), so that a checkpoint's storages go from the file
/// straight into their own arrays, each byte copied once.
final class RandomAccessFile: ByteSource {
  let path: String
  let size: Int
  private let descriptor: Int32

  init(_ path: String) throws(FileError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FileError(path, "no such file") }
    if isDirectory.boolValue { throw FileError(path, "is a directory, expected a file") }
    descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw FileError(path, "cannot read file (permissions?)") }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      close(descriptor)
      throw FileError(path, "cannot read file (permissions?)")
    }
    self.path = path
    size = Int(status.st_size)
  }

  deinit { close(descriptor) }

  /// Asks for transparent huge pages under a large fresh buffer: a storage of megabytes
  /// then costs a few page faults instead of one per 4 KiB, most of the time of a read
  /// from the page cache.
  private static func adviseHugePages(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
    let huge = 2 << 20
    guard buffer.count >= 2 * huge, let base = buffer.baseAddress else { return }
    let start = (Int(bitPattern: base) + huge - 1) / huge * huge
    let end = (Int(bitPattern: base) + buffer.count) / huge * huge
    guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(pointer, end - start, 14)  // MADV_HUGEPAGE
  }

  /// The bytes at `offset ..< offset + count`, which must lie in the file.
  func bytes(at offset: Int, count: Int) throws(FileError) -> [UInt8] {
    try check(offset, count)
    var complete = true
    let result = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      Self.adviseHugePages(buffer)
      var done = 0
      while done < count {
        let read = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
        guard read > 0 else { break }
        done += read
      }
      complete = done == count
      initialized = done
    }
    guard complete else { throw FileError(path, "cannot read the whole file (it changed or the disk failed)") }
    return result
  }
}
