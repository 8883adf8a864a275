import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

/// The run-directory readers (JSON and JSON lines, as PyTorch scripts also write them)
/// over mutated copies of valid files: each case is read or refused with one line
/// naming the file, never a trap. `CLENS_FUZZ_CASES` raises the count.
@Suite struct RunFileFuzzTests {
  let directory = TemporaryDirectory()
  static let cases = FileFuzzer.caseCount(standard: 1000)

  func fuzz(_ valid: String, name: String, seed: UInt64, read: (String) throws -> Void) throws {
    let path = directory.file(name)
    var fuzzer = FileFuzzer(seed: seed, text: true)
    let outcome = fuzzer.run(Array(valid.utf8), cases: Self.cases, path: path) { bytes in
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      try read(path)
    }
    #expect(outcome.badMessages.isEmpty, "\(name): \(outcome)")
    #expect(outcome.refused > Self.cases / 4 && outcome.accepted > 0, "\(name): \(outcome)")
  }

  @Test func metricsLines() throws {
    let lines = try (1...4).map { step in
      try JSONOutput.line(
        MetricsRecord(
          step: step * 10, epoch: Double(step) / 4, loss: 2.5 / Double(step), learningRate: 0.1, accuracy: 0.25,
          imagesPerSecond: 300, lossParts: ["ce": 1], values: ["knn_accuracy": 0.7]))
    }
    try fuzz(lines.joined(separator: "\n") + "\n", name: "metrics.jsonl", seed: 11) { path in
      let records = try RunFiles.readMetrics(path)
      #expect(!records.isEmpty)
    }
  }

  @Test func scoreLines() throws {
    let statistics = ScoreStatistics(
      mean: 0.5, variance: 0.01, count: 8, histogram: ScoreHistogram(edges: [-1, 0, 0.5, 1], counts: [2, 5, 1]))
    let lines = try (1...3).map { step in
      try JSONOutput.line(ScoreRecord(step: step, epoch: Double(step), positive: statistics, negative: statistics))
    }
    try fuzz(lines.joined(separator: "\n") + "\n", name: "scores.jsonl", seed: 12) { path in
      for record in try RunFiles.readScores(path) {
        if let histogram = record.positive.histogram {
          #expect(histogram.edges.count == histogram.counts.count + 1)
        }
      }
    }
  }

  @Test func configuration() throws {
    let text = String(decoding: try JSONOutput.encode(RecordTests.configuration, pretty: true), as: UTF8.self)
    try fuzz(text, name: "config.json", seed: 13) { path in
      _ = try JSONInput.read(RunConfiguration.self, from: path)
    }
  }

  @Test func robustnessReport() throws {
    let report = RobustnessReport(
      norm: .linf, attack: nil, n: 10, cleanAccuracy: 0.9, eps: [0, 0.01, 0.03], robustAccuracy: [0.9, 0.5, 0.1],
      robustAccuracyEnvelope: [0.9, 0.5, 0.1], robustAccuracyCi95: [[0.6, 0.98], [0.2, 0.8], [0.02, 0.4]],
      perClassRobustAccuracy: [[0.9, 0.9], [0.5, 0.5], [0.1, 0.1]], perClassCleanAccuracy: [0.9, 0.9],
      classCounts: [5, 5], sanityChecks: [SanityCheck(name: "x", passed: true, severity: .error, detail: "d")])
    let text = String(decoding: try JSONOutput.encode(report, pretty: true), as: UTF8.self)
    try fuzz(text, name: "robustness-linf.json", seed: 14) { path in
      let read = try RunFiles.readRobustness(path)
      #expect(read.eps.count == read.robustAccuracy.count)
    }
  }

  @Test func checkpointIndex() throws {
    let index = CheckpointIndex(checkpoints: [
      .init(file: "epoch-1.safetensors", step: 93, epoch: 1), .init(file: "last.safetensors", step: 186, epoch: 2),
    ])
    let text = String(decoding: try JSONOutput.encode(index, pretty: true), as: UTF8.self)
    try fuzz(text, name: "index.json", seed: 15) { path in
      _ = try JSONInput.read(CheckpointIndex.self, from: path)
    }
  }
}
