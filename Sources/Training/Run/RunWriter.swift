import Engine
import Foundation
import RunFormat

/// Writes a training run's directory (DESIGN.md's format): `config.json` once, records
/// appended to `metrics.jsonl` and `scores.jsonl`, feature snapshots, and checkpoints
/// with their index. Every file is written atomically or appended a whole line at a time.
public final class RunWriter {
  /// The run directory.
  public let run: RunDirectory
  private let metrics: JSONLinesAppender<MetricsRecord>
  /// Opened at the first score record (a fine-tuning run without scores has no file).
  private var scoreAppender: JSONLinesAppender<ScoreRecord>?
  private var index: CheckpointIndex

  private init(run: RunDirectory) throws(FileError) {
    self.run = run
    metrics = try JSONLinesAppender(run.metricsFile)
    scoreAppender = run.scoresFile.exists ? try JSONLinesAppender(run.scoresFile) : nil
    index = try run.checkpointIndex()
  }

  private func scores() throws(FileError) -> JSONLinesAppender<ScoreRecord> {
    if let scoreAppender { return scoreAppender }
    let opened = try JSONLinesAppender(run.scoresFile)
    scoreAppender = opened
    return opened
  }

  /// Starts a new run in `path`, which must not exist or be empty: another run's files
  /// are never overwritten.
  public static func create(at path: String, configuration: RunConfiguration) throws(FileError) -> RunWriter {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw FileError(path, "is a file, expected a folder for the run") }
      let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
      if FileManager.default.fileExists(atPath: RunDirectory(unchecked: path).configurationFile) {
        throw FileError(path, "holds another run; continue it with --resume \(path), or choose another --out")
      }
      guard contents.isEmpty else {
        throw FileError(path, "is not empty (\(contents.count) entries); choose a new or empty folder for --out")
      }
    }
    let run = RunDirectory(unchecked: path)
    try JSONOutput.write(configuration, to: run.configurationFile)
    return try RunWriter(run: run)
  }

  /// Reopens a run to continue it: its settings, and the checkpoint it continues from
  /// (nil when it was stopped before its first one). Records logged after that
  /// checkpoint, and temporary files a kill left behind, are removed.
  public static func resume(at path: String) throws(FileError) -> (
    writer: RunWriter, configuration: RunConfiguration, checkpoint: Checkpoint?
  ) {
    let (run, configuration, checkpoint) = try resumePoint(at: path)
    let step = checkpoint?.metadata.step ?? 0
    try truncate(run.metricsFile, after: step) { $0.step }
    try truncate(run.scoresFile, after: step) { $0.step }
    removeTemporaryFiles(in: run)
    return (try RunWriter(run: run), configuration, checkpoint)
  }

  /// Where the run at `path` would resume, read without changing anything (the ranks of a
  /// data-parallel run other than 0 read it while rank 0 reopens the run).
  public static func resumePoint(at path: String) throws(FileError) -> (
    run: RunDirectory, configuration: RunConfiguration, checkpoint: Checkpoint?
  ) {
    let run = try RunDirectory(path)
    guard let configuration = try run.configuration() else {
      throw FileError(path, "has no config.json: not a training run to resume")
    }
    let checkpoint =
      FileManager.default.fileExists(atPath: run.lastCheckpoint) ? try Checkpoint.read(run.lastCheckpoint) : nil
    return (run, configuration, checkpoint)
  }

  /// Appends one step's metrics and, for methods with pair scores, its scores.
  public func log(_ metricsRecord: MetricsRecord, _ scoreRecord: ScoreRecord?) throws(FileError) {
    try metrics.append(metricsRecord)
    if let scoreRecord { try scores().append(scoreRecord) }
  }

  /// Writes the feature snapshot with `tag`.
  public func write(_ snapshot: FeatureSnapshot, tag: String) throws(FileError) {
    try snapshot.write(to: run.features(tag))
  }

  /// Writes `checkpoints/last.safetensors` (and a copy under each name of `keepAs`),
  /// then the index. The logs are flushed to disk first, so they never lag a checkpoint.
  public func writeCheckpoint(
    model: Network, optimizer: any Optimizer, method: (any TrainingMethod)? = nil, metadata: CheckpointMetadata,
    keepAs names: [String] = []
  ) throws(FileError) {
    metrics.synchronize()
    scoreAppender?.synchronize()
    for file in ["last"] + names {
      try Checkpoint.write(model: model, optimizer: optimizer, method: method, metadata: metadata, to: run.checkpoint(file))
      index.record(.init(file: file + ".safetensors", step: metadata.step, epoch: metadata.epoch))
    }
    try JSONOutput.write(index, to: run.checkpointIndexFile)
  }

  private static func truncate<R: Codable>(
    _ file: JSONLinesFile<R>, after step: Int, _ stepOf: (R) -> Int
  ) throws(FileError) {
    guard file.exists else { return }
    let records = try file.read(allowEmpty: true).records
    let kept = records.filter { stepOf($0) <= step }
    if kept.count != records.count { try file.rewrite(kept) }
  }

  /// Temporary files of atomic writes a kill interrupted.
  private static func removeTemporaryFiles(in run: RunDirectory) {
    for folder in ["", "checkpoints", "features", "analysis"] {
      AtomicFile.removeStaleTemporaries(in: folder.isEmpty ? run.path : run.file(folder))
    }
  }
}
