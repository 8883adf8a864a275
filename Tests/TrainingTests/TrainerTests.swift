import Datasets
import Engine
import Foundation
import RunFormat
import TestSupport
import Testing
import Training

/// Tiny end-to-end runs of both methods through the trainer and the run writer.
@Suite struct TrainerTests {
  @Test(arguments: ["simclr", "supcon"]) func aRunWritesEveryFileInItsFormat(method: String) throws {
    let dir = TemporaryDirectory()
    let configuration = TinyRun.configuration(method: method)
    let writer = try RunWriter.create(at: dir.file("run"), configuration: configuration)
    let summary = try TinyRun.trainer(configuration).train(writer: writer)
    #expect(summary.steps == 12 && summary.knnAccuracy != nil)
    let run = try RunDirectory(dir.file("run"))
    #expect(try run.configuration() == configuration)
    let metrics = try run.metricsFile.read().records
    #expect(metrics.map(\.step) == [2, 4, 6, 8, 10, 12])
    #expect(metrics.allSatisfy { $0.loss.isFinite && $0.learningRate != nil && $0.accuracy != nil })
    #expect(metrics.filter { $0.values["knn_accuracy"] != nil }.map(\.step) == [4, 8, 12])
    let first = metrics.prefix(2).map(\.loss).reduce(0, +)
    let last = metrics.suffix(2).map(\.loss).reduce(0, +)
    #expect(last < first, "the loss did not fall: \(metrics.map(\.loss))")
    let scores = try run.scoresFile.read().records
    #expect(scores.map(\.step) == metrics.map(\.step))
    for record in scores {
      // 128 views: 127 other rows per anchor; SimCLR has one positive per anchor.
      #expect(record.positive.count + record.negative.count == 128 * 127)
      if method == "simclr" { #expect(record.positive.count == 128) }
      #expect(record.positive.histogram?.counts.reduce(0, +) == Double(record.positive.count))
      #expect(abs(record.positive.mean) <= 1 && abs(record.negative.mean) <= 1 && record.negative.variance >= 0)
    }
    #expect(run.featureTags == ["epoch-1", "epoch-2", "epoch-3"])
    let files = run.features("epoch-3")
    let features = try NPYArray.read(files.features)
    #expect(features.shape == [60, 32] && features.type == .float32)
    #expect(try NPYArray.read(files.positives).shape == [60, 32])
    #expect(try RunFiles.readLabels(files.labels) == TinyRun.heldOut.labels)
    #expect(try run.checkpointIndex().checkpoints.map(\.file).sorted() == [
      "epoch-1.safetensors", "epoch-2.safetensors", "epoch-3.safetensors", "last.safetensors",
    ])
    let checkpoint = try Checkpoint.read(run.lastCheckpoint)
    #expect(checkpoint.metadata.step == 12 && checkpoint.metadata.architecture == configuration.model)
    #expect(checkpoint.model.keys.contains("encoder.layer4.1.bn2.running_var") && checkpoint.model.keys.contains("head.2.weight"))
    #expect(checkpoint.optimizer.keys.contains("momentum_buffer.encoder.conv1.weight"))
  }

  /// Killed after step 7 (its last checkpoint at step 6), resumed, the run reaches the
  /// same weights, bit for bit, as one never interrupted; the logs hold each step once.
  @Test func resumeIsBitIdentical() throws {
    let dir = TemporaryDirectory()
    let configuration = TinyRun.configuration(checkpointEvery: 3)
    let whole = try TinyRun.trainer(configuration)
    try whole.train(writer: try RunWriter.create(at: dir.file("whole"), configuration: configuration))

    let interrupted = try TinyRun.trainer(configuration)
    #expect(throws: StopAt.Stopped.self) {
      try interrupted.train(
        writer: try RunWriter.create(at: dir.file("resumed"), configuration: configuration), observers: [StopAt(step: 7)])
    }
    // A crash mid-append leaves a torn last line.
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("resumed/metrics.jsonl")))
    handle.seekToEndOfFile()
    handle.write(Data(#"{"step": 8, "loss": 3.1"#.utf8))
    try handle.close()

    let (writer, saved, checkpoint) = try RunWriter.resume(at: dir.file("resumed"))
    #expect(saved == configuration && checkpoint?.metadata.step == 6)
    let resumed = try TinyRun.trainer(saved)
    try resumed.restore(from: try #require(checkpoint))
    try resumed.train(writer: writer)
    #expect(TinyRun.state(resumed.model) == TinyRun.state(whole.model))
    #expect(resumed.optimizer.state == whole.optimizer.state)
    let a = try RunDirectory(dir.file("whole")).metricsFile.read().records
    let b = try RunDirectory(dir.file("resumed")).metricsFile.read()
    #expect(b.tornLine == nil)
    #expect(b.records.map(\.step) == a.map(\.step))
    #expect(b.records.map(\.loss) == a.map(\.loss))
    let scoresA = try RunDirectory(dir.file("whole")).scoresFile.read().records
    let scoresB = try RunDirectory(dir.file("resumed")).scoresFile.read().records
    #expect(scoresA == scoresB)
  }

  @Test func aNonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint() throws {
    let dir = TemporaryDirectory()
    let configuration = TinyRun.configuration(lr: 1e30, checkpointEvery: 1)
    let trainer = try TinyRun.trainer(configuration)
    var caught: TrainingError?
    do {
      try trainer.train(writer: try RunWriter.create(at: dir.file("run"), configuration: configuration))
    } catch let error as TrainingError {
      caught = error
    }
    let error = try #require(caught)
    guard case .nonFinite(_, let step, _, let last) = error else { return }
    #expect(step >= 1 && (last ?? 0) < step)
    #expect(error.description.contains("at step \(step)"))
    let run = try RunDirectory(dir.file("run"))
    if let last {
      let checkpoint = try Checkpoint.read(run.lastCheckpoint)
      #expect(checkpoint.metadata.step == last)
      #expect(try checkpoint.buildModel().parameters().allSatisfy { $0.value.isFinite })
    }
  }

  @Test func anotherRunIsNeverOverwritten() throws {
    let dir = TemporaryDirectory()
    let configuration = TinyRun.configuration()
    _ = try RunWriter.create(at: dir.file("run"), configuration: configuration)
    #expect(throws: FileError(dir.file("run"), "holds another run; continue it with --resume \(dir.file("run")), or choose another --out")) {
      try RunWriter.create(at: dir.file("run"), configuration: configuration)
    }
    try AtomicFile.write(Data("x".utf8), to: dir.file("busy/notes.txt"))
    #expect(throws: FileError.self) { try RunWriter.create(at: dir.file("busy"), configuration: configuration) }
    #expect(FileManager.default.fileExists(atPath: dir.file("busy/notes.txt")))
  }

  /// A checkpoint rebuilds its own model: same architecture, same outputs.
  @Test func checkpointsRebuildTheirModel() throws {
    let dir = TemporaryDirectory()
    let configuration = TinyRun.configuration(epochs: 1)
    let trainer = try TinyRun.trainer(configuration)
    try trainer.train(writer: try RunWriter.create(at: dir.file("run"), configuration: configuration))
    let rebuilt = try Checkpoint.read(dir.file("run/checkpoints/last.safetensors")).buildModel()
    #expect(TinyRun.state(rebuilt) == TinyRun.state(trainer.model))
    var rng = RandomGenerator(seed: 3)
    let images = Tensor(randomUniform: [4, 1, 8, 8], using: &rng)
    trainer.model.setTraining(false)
    let expected = withoutGradients { trainer.model.forward(images).embeddings.scalars }
    #expect(withoutGradients { rebuilt.forward(images).embeddings.scalars } == expected)
    let plain = dir.file("plain.safetensors")
    try trainer.model.encoder.saveWeights(to: plain)
    #expect(throws: FileError.self) { try Checkpoint.read(plain) }
  }
}
