import Foundation

/// Writes files atomically: the bytes go to a temporary file in the same directory,
/// which is then renamed over the target, so a killed process never leaves a
/// half-written file behind.
public enum AtomicFile {
  /// Writes `data` to `path`, creating missing parent directories.
  public static func write(_ data: Data, to path: String) throws(FileError) {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent()
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw FileError(path, "cannot create directory \(directory.path)")
    }
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
      throw FileError(path, "cannot write file (is the directory writable?)")
    }
    guard rename(temporary.path, url.path) == 0 else {
      try? FileManager.default.removeItem(at: temporary)
      throw FileError(path, "cannot move the finished file into place")
    }
  }

  /// Reads a whole file into one byte array, straight from the file into the array's
  /// storage (no intermediate copy: weights files are hundreds of megabytes).
  public static func bytes(_ path: String) throws(FileError) -> [UInt8] {
    let file = try RandomAccessFile(path)
    return try file.bytes(at: 0, count: file.size)
  }

  /// Reads a whole file, with a `FileError` naming it when it is missing or unreadable.
  public static func read(_ path: String) throws(FileError) -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw FileError(path, "no such file")
    }
    if isDirectory.boolValue { throw FileError(path, "is a directory, expected a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw FileError(path, "cannot read file (permissions?)")
    }
    return data
  }
}
