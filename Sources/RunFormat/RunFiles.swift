import Engine
import Foundation

/// Readers of single run-directory files, wherever they are (inside a run, or written
/// by a PyTorch script), following DESIGN.md's formats. Every problem is a `FileError`
/// naming the file (and line).
public enum RunFiles {
  /// `metrics.jsonl`; a line torn by a crash at the end is left out.
  public static func readMetrics(_ path: String) throws(FileError) -> [MetricsRecord] {
    try JSONLinesFile<MetricsRecord>(path).read().records
  }

  /// `scores.jsonl`; a line torn by a crash at the end is left out.
  public static func readScores(_ path: String) throws(FileError) -> [ScoreRecord] {
    try JSONLinesFile<ScoreRecord>(path).read().records
  }

  /// `analysis/robustness-<norm>.json`.
  public static func readRobustness(_ path: String) throws(FileError) -> RobustnessReport {
    try RobustnessReport.read(path)
  }

  /// `analysis/align-uniform-<tag>.json`.
  public static func readAlignUniform(_ path: String) throws(FileError) -> AlignUniformReport {
    try JSONInput.read(AlignUniformReport.self, from: path)
  }

  /// `analysis/tsne-<tag>.json`.
  public static func readTSNEReport(_ path: String) throws(FileError) -> TSNEReport {
    try JSONInput.read(TSNEReport.self, from: path)
  }

  /// A float [N, `columns`] array (`features/<tag>.npy`, `analysis/tsne-<tag>.npy`);
  /// `columns` nil accepts any width. Returns the values row-major and the shape.
  public static func readMatrix(_ path: String, columns: Int? = nil) throws(FileError) -> (
    values: [Float], rows: Int, columns: Int
  ) {
    let array = try NPYArray.read(path)
    guard array.shape.count == 2 else {
      throw FileError(path, "expected a 2-D array [N, \(columns.map(String.init) ?? "D")], found shape \(array.shape)")
    }
    if let columns, array.shape[1] != columns {
      throw FileError(path, "expected \(columns) columns, found shape \(array.shape)")
    }
    guard array.shape[0] > 0 else { throw FileError(path, "the array has no rows") }
    return (array.floats(), array.shape[0], array.shape[1])
  }

  /// Class labels (`features/<tag>.labels.npy`, int64 [N]); whole numbers ≥ 0.
  public static func readLabels(_ path: String) throws(FileError) -> [Int] {
    let array = try NPYArray.read(path)
    guard array.shape.count == 1 else {
      throw FileError(path, "expected a 1-D array of labels, found shape \(array.shape)")
    }
    guard let labels = array.integers() else { throw FileError(path, "labels must be whole numbers") }
    if let negative = labels.first(where: { $0 < 0 }) { throw FileError(path, "labels must be ≥ 0, found \(negative)") }
    return labels
  }
}
