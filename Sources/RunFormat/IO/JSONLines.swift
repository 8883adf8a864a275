import Engine
import Foundation

/// What a JSON-lines file held: its complete records, and whether a torn last line (a
/// write cut short by a crash) was found and left out.
public struct JSONLinesContents<Record> {
  /// The records of every complete line, in file order.
  public var records: [Record]
  /// The 1-based number of an unfinished last line that was ignored, if any.
  public var tornLine: Int?
}

/// A JSON-lines file of one record type (`metrics.jsonl`, `scores.jsonl`).
///
/// Writers append one whole line per record with a single `write` call, so a killed
/// process leaves at most one unfinished last line. Readers detect such a line (no final
/// newline, and not a complete JSON document) and leave it out; any other bad line is an
/// error naming the file and the line, never silently skipped.
public struct JSONLinesFile<Record: Codable>: Sendable {
  /// The file's path.
  public let path: String

  /// The file at `path` (it need not exist yet).
  public init(_ path: String) { self.path = path }

  /// Whether the file exists.
  public var exists: Bool { FileManager.default.fileExists(atPath: path) }

  /// Every record; an empty or missing file is an error (`allowEmpty` accepts an empty file).
  public func read(allowEmpty: Bool = false) throws(FileError) -> JSONLinesContents<Record> {
    let bytes = Array(try AtomicFile.read(path))
    var records = [Record]()
    var torn: Int?
    let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for (index, line) in lines.enumerated() {
      if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
        continue
      }
      let isLast = index == lines.count - 1
      do {
        records.append(try JSONInput.decode(Record.self, from: line, path: path, line: index + 1))
      } catch {
        // A last line without its newline that does not parse is a write cut short.
        guard isLast, (try? JSONSerialization.jsonObject(with: Data(line))) == nil else { throw error }
        torn = index + 1
      }
    }
    guard allowEmpty || !records.isEmpty else { throw FileError(path, "no records (the file is empty)") }
    return JSONLinesContents(records: records, tornLine: torn)
  }

  /// Replaces the whole file atomically with `records` (e.g. on resume, the records up
  /// to the checkpoint the run continues from).
  public func rewrite(_ records: [Record]) throws(FileError) {
    var text = ""
    for record in records { text += try JSONOutput.line(record) + "\n" }
    try AtomicFile.write(Data(text.utf8), to: path)
  }
}

/// Appends records to a JSON-lines file, one whole line per `write` call.
///
/// Opening cuts off an unfinished last line left by a crash, so the next record starts
/// on a line of its own. Not thread-safe: one appender per file, used from one thread.
public final class JSONLinesAppender<Record: Codable> {
  /// The file appended to.
  public let file: JSONLinesFile<Record>
  private let descriptor: Int32

  /// Opens (creating it, and its directory, when missing) `file` for appending.
  public init(_ file: JSONLinesFile<Record>) throws(FileError) {
    self.file = file
    let directory = (file.path as NSString).deletingLastPathComponent
    if !directory.isEmpty {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    let fd = open(file.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw FileError(file.path, "cannot open for appending (\(String(cString: strerror(errno))))") }
    descriptor = fd
    try cutUnfinishedLine()
  }

  deinit { close(descriptor) }

  /// Appends `record` as one line.
  public func append(_ record: Record) throws(FileError) {
    let bytes = Array((try JSONOutput.line(record) + "\n").utf8)
    var written = 0
    while written < bytes.count {
      let n = bytes[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw FileError(file.path, "cannot append (\(String(cString: strerror(errno))))") }
      written += n
    }
  }

  /// Flushes the file to disk (called at checkpoints).
  public func synchronize() { fsync(descriptor) }

  /// A last line without its newline is either a record someone wrote without one (it
  /// gets its newline) or a write cut short (it is cut off).
  private func cutUnfinishedLine() throws(FileError) {
    let size = Int(lseek(descriptor, 0, SEEK_END))
    guard size > 0 else { return }
    var tail = [UInt8]()
    var start = size
    var byte: UInt8 = 0
    while start > 0 {
      guard pread(descriptor, &byte, 1, off_t(start - 1)) == 1 else { throw FileError(file.path, "cannot read") }
      if byte == UInt8(ascii: "\n") { break }
      tail.append(byte)
      start -= 1
    }
    guard !tail.isEmpty else { return }
    if (try? JSONSerialization.jsonObject(with: Data(tail.reversed()))) != nil {
      let newline = [UInt8(ascii: "\n")]
      guard newline.withUnsafeBytes({ Foundation.write(descriptor, $0.baseAddress, 1) }) == 1 else {
        throw FileError(file.path, "cannot append")
      }
    } else if ftruncate(descriptor, off_t(start)) != 0 {
      throw FileError(file.path, "cannot cut the unfinished last line")
    }
  }
}
