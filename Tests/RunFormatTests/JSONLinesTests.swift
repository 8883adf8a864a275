import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

/// Appending and reading JSON-lines files, including the line a crash leaves unfinished.
@Suite struct JSONLinesTests {
  let directory = TemporaryDirectory()

  func record(_ step: Int) -> MetricsRecord {
    MetricsRecord(step: step, epoch: Double(step) / 10, loss: 2 - Double(step) / 100, learningRate: 0.1, lossParts: ["nce": 1.5])
  }

  @Test func appendedRecordsReadBackInOrder() throws {
    let file = JSONLinesFile<MetricsRecord>(directory.file("run/metrics.jsonl"))
    let appender = try JSONLinesAppender(file)
    for step in 0..<5 { try appender.append(record(step)) }
    let contents = try file.read()
    #expect(contents.records == (0..<5).map(record))
    #expect(contents.tornLine == nil)
  }

  @Test func aTornLastLineIsDetectedIgnoredAndCutOnTheNextAppend() throws {
    let path = directory.file("metrics.jsonl")
    let whole = try JSONOutput.line(record(0)) + "\n" + JSONOutput.line(record(1)) + "\n"
    let torn = String(try JSONOutput.line(record(2)).prefix(17))
    try AtomicFile.write(Data((whole + torn).utf8), to: path)
    let file = JSONLinesFile<MetricsRecord>(path)
    let contents = try file.read()
    #expect(contents.records == [record(0), record(1)])
    #expect(contents.tornLine == 3)
    let appender = try JSONLinesAppender(file)
    try appender.append(record(3))
    let repaired = try file.read()
    #expect(repaired.records == [record(0), record(1), record(3)])
    #expect(repaired.tornLine == nil)
  }

  @Test func aCompleteLastLineWithoutNewlineIsKept() throws {
    let path = directory.file("scores.jsonl")
    try AtomicFile.write(Data(try JSONOutput.line(record(7)).utf8), to: path)
    let file = JSONLinesFile<MetricsRecord>(path)
    #expect(try file.read().records == [record(7)])
    try JSONLinesAppender(file).append(record(8))
    #expect(try file.read().records == [record(7), record(8)])
  }

  @Test func aBadLineInTheMiddleIsAnErrorNamingTheLine() throws {
    let path = directory.file("bad.jsonl")
    let text = try JSONOutput.line(record(0)) + "\n{\"step\": 1, \"loss\n" + JSONOutput.line(record(2)) + "\n"
    try AtomicFile.write(Data(text.utf8), to: path)
    #expect(throws: FileError(path, "line 2: not valid JSON")) { try JSONLinesFile<MetricsRecord>(path).read() }
  }

  @Test func rewriteKeepsOnlyTheGivenRecords() throws {
    let file = JSONLinesFile<MetricsRecord>(directory.file("m.jsonl"))
    let appender = try JSONLinesAppender(file)
    for step in 0..<4 { try appender.append(record(step)) }
    try file.rewrite([record(0), record(1)])
    #expect(try file.read().records == [record(0), record(1)])
  }

  @Test func nonFiniteNumbersRoundTrip() throws {
    let file = JSONLinesFile<MetricsRecord>(directory.file("nan.jsonl"))
    try JSONLinesAppender(file).append(MetricsRecord(step: 3, loss: .nan, accuracy: .infinity))
    let read = try file.read().records[0]
    #expect(read.loss.isNaN && read.accuracy == .infinity)
  }
}
