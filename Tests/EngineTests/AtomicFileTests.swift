import Engine
import Foundation
import TestSupport
import Testing

/// One write path for every file: a temporary file in `.clens-partial`, flushed and
/// renamed once; a killed writer's leftovers are swept by the next write there.
@Suite struct AtomicFileTests {
  let directory = TemporaryDirectory()

  func partialEntries(_ folder: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: folder + "/" + AtomicFile.partialFolder)) ?? []
  }

  /// The process id of a process that has exited (and been reaped).
  func deadProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
  }

  @Test func writesReplaceWholeFilesAndLeaveNothingBehind() throws {
    let path = directory.file("a/b/out.bin")
    try AtomicFile.write(Data([1, 2, 3]), to: path)
    try AtomicFile.write(Data([4, 5]), to: path)
    #expect(try AtomicFile.bytes(path) == [4, 5])
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("a/b")) == ["out.bin"])
  }

  @Test func aKilledWritersTemporaryIsSweptButALiveOneIsKept() throws {
    let partial = directory.file(AtomicFile.partialFolder)
    try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
    let dead = "figure.png.\(try deadProcessID())"
    // pid 1 always runs (and kill(1, 0) is EPERM for an ordinary user, never ESRCH).
    let live = "metrics.json.1"
    for name in [dead, live, "notes.txt"] {
      FileManager.default.createFile(atPath: partial + "/" + name, contents: Data([0]))
    }
    try AtomicFile.write(Data([9]), to: directory.file("other.bin"))
    #expect(Set(partialEntries(directory.path)) == [live, "notes.txt"])
    try FileManager.default.removeItem(atPath: partial + "/" + live)
    try FileManager.default.removeItem(atPath: partial + "/notes.txt")
    AtomicFile.removeStaleTemporaries(in: directory.path)
    #expect(!FileManager.default.fileExists(atPath: partial))
  }

  @Test func anUnwritableDirectoryIsOneErrorNamingTheFile() throws {
    try AtomicFile.write(Data([1]), to: directory.file("file"))
    let path = directory.file("file/inside.bin")
    #expect(throws: FileError.self) { try AtomicFile.write(Data([1]), to: path) }
    do {
      try AtomicFile.write(Data([1]), to: path)
    } catch {
      #expect(error.path == path && !error.problem.contains("\n"), "\(error)")
    }
    #expect(try AtomicFile.bytes(directory.file("file")) == [1])
  }
}
