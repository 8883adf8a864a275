import Foundation

/// Writes files atomically: the bytes go to a temporary file beside the target, which is
/// flushed to disk and then renamed over it, so a killed process never leaves a
/// half-written file at a final path.
///
/// Temporary files live in a hidden `.clens-partial` folder of the target's directory,
/// named `<file name>.<process id>`. A kill during a write leaves one there; the next
/// write into that directory, by any command, removes those of processes no longer
/// running, so nothing accumulates and no other process's write in flight is touched.
public enum AtomicFile {
  /// The hidden folder of in-flight writes inside each written directory.
  public static let partialFolder = ".clens-partial"

  /// Writes `data` to `path`, creating missing parent directories.
  public static func write(_ data: Data, to path: String) throws(FileError) {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let partial = (directory as NSString).appendingPathComponent(partialFolder)
    removeStaleTemporaries(in: directory)
    let temporary = (partial as NSString).appendingPathComponent("\(url.lastPathComponent).\(getpid())")
    let descriptor = try createTemporary(temporary, partial: partial, for: path)
    let written = data.withUnsafeBytes { writeAll($0, to: descriptor) }
    let synced = fsync(descriptor) == 0
    close(descriptor)
    guard written && synced else {
      unlink(temporary)
      throw FileError(path, "cannot write file: \(String(cString: strerror(errno))) (disk full?)")
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw FileError(path, "cannot move the finished file into place: \(reason)")
    }
    // The folder goes once it is empty; another process's file in it keeps it.
    rmdir(partial)
  }

  /// Removes the temporary files of writes into `directory` whose process is gone
  /// (killed mid-write), and their folder when it is left empty.
  public static func removeStaleTemporaries(in directory: String) {
    let partial = (directory as NSString).appendingPathComponent(partialFolder)
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: partial) else { return }
    for name in names {
      guard let dot = name.lastIndex(of: "."), let pid = pid_t(name[name.index(after: dot)...]) else { continue }
      if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
        unlink((partial as NSString).appendingPathComponent(name))
      }
    }
    rmdir(partial)
  }

  /// Opens a fresh temporary file, making its folders; retried when a concurrent write
  /// removes the emptied `.clens-partial` folder between making and opening.
  private static func createTemporary(_ temporary: String, partial: String, for path: String) throws(FileError)
    -> Int32
  {
    for _ in 0..<3 {
      do {
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
      } catch {
        throw FileError(path, "cannot create directory \((path as NSString).deletingLastPathComponent)")
      }
      let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      if descriptor >= 0 { return descriptor }
      if errno != ENOENT { break }
    }
    throw FileError(path, "cannot write file: \(String(cString: strerror(errno))) (is the directory writable?)")
  }

  private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let count = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return false }
      offset += count
    }
    return true
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
