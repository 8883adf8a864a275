import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

@testable import Plotting

/// The readers of run-directory files, on small files written here in the formats of
/// DESIGN.md ("File formats inside a run").
@Suite struct RunFilesTests {
  let directory = TemporaryDirectory()

  func write(_ text: String, _ name: String) throws -> String {
    let path = directory.file(name)
    try AtomicFile.write(Data(text.utf8), to: path)
    return path
  }

  @Test func metricsLinesWithLossPartsAndPythonNaN() throws {
    let path = try write(
      """
      {"step": 0, "epoch": 0.0, "loss": 2.5, "lr": 0.1, "accuracy": 0.1, "images_per_second": 300.0, "loss_ce": 2.0, "loss_con": 0.5}

      {"step": 10, "epoch": 0.5, "loss": NaN, "lr": 0.09}
      {"step": 20, "epoch": 1.0, "loss": 1.5, "lr": 0.08, "note": "NaN in a string stays"}
      """, "metrics.jsonl")
    let records = try RunFiles.readMetrics(path)
    #expect(records.count == 3)
    #expect(
      records[0]
        == MetricsRecord(
          step: 0, epoch: 0, loss: 2.5, learningRate: 0.1, accuracy: 0.1, imagesPerSecond: 300,
          lossParts: ["ce": 2, "con": 0.5]))
    #expect(records[1].loss.isNaN && records[1].accuracy == nil && records[1].lossParts.isEmpty)
    #expect(records[2].step == 20)
  }

  @Test func metricsErrorsNameTheLineAndKey() throws {
    let missing = try write("{\"step\": 0, \"loss\": 1}\n{\"epoch\": 1, \"loss\": 2}\n", "missing.jsonl")
    #expect(throws: FileError(missing, "line 2: missing key 'step'")) { try RunFiles.readMetrics(missing) }
    let wrong = try write("{\"step\": \"ten\", \"loss\": 1}\n", "wrong.jsonl")
    #expect(throws: FileError(wrong, "line 1: wrong type at 'step': expected Int")) { try RunFiles.readMetrics(wrong) }
    let broken = try write("{\"step\": 0, \"loss\": 1\n", "broken.jsonl")
    #expect(throws: FileError(broken, "line 1: not valid JSON")) { try RunFiles.readMetrics(broken) }
    let empty = try write("\n\n", "empty.jsonl")
    #expect(throws: FileError(empty, "no records (the file is empty)")) { try RunFiles.readMetrics(empty) }
    #expect(throws: FileError(directory.file("none.jsonl"), "no such file")) {
      try RunFiles.readMetrics(directory.file("none.jsonl"))
    }
  }

  @Test func scoreLinesWithHistograms() throws {
    let path = try write(
      """
      {"step": 100, "epoch": 1.0, "positive": {"mean": 0.8, "variance": 0.01, "count": 64, "histogram": {"edges": [-1, 0, 1], "counts": [3, 61]}}, "negative": {"mean": 0.0, "variance": 0.02, "count": 4096, "histogram": {"edges": [-1, 0, 1], "counts": [2000, 2096]}}}
      {"step": 200, "epoch": 2.0, "positive": {"mean": 0.9, "variance": 0.005, "count": 64}, "negative": {"mean": -0.01, "variance": 0.02, "count": 4096}}
      """, "scores.jsonl")
    let records = try RunFiles.readScores(path)
    #expect(records[0].positive.histogram == ScoreHistogram(edges: [-1, 0, 1], counts: [3, 61]))
    #expect(records[0].negative.count == 4096 && records[0].epoch == 1)
    #expect(records[1].positive.histogram == nil && records[1].positive.mean == 0.9)
    let bad = try write(
      """
      {"step": 5, "epoch": 0, "positive": {"mean": 0.8, "variance": 0.01, "count": 1, "histogram": {"edges": [-1, 1], "counts": [1, 2]}}, "negative": {"mean": 0, "variance": 0.1, "count": 1}}
      """, "bad-scores.jsonl")
    #expect(
      throws: FileError(bad, "line 1: 2 counts need 3 edges at 'positive.histogram'")
    ) {
      try RunFiles.readScores(bad)
    }
  }

  @Test func robustnessResults() throws {
    let path = try write(
      """
      {"norm": "linf", "n": 1000, "clean_accuracy": 0.93, "eps": [0, 0.0039, 0.0078], "robust_accuracy": [0.93, 0.6, 0.3], "per_class_robust_accuracy": [[0.9], [0.5]], "sanity_checks": [{"name": "eps0", "passed": true, "severity": "error", "detail": ""}]}
      """, "robustness-linf.json")
    let result = try RunFiles.readRobustness(path)
    #expect(result.norm == .linf && result.n == 1000 && result.cleanAccuracy == 0.93)
    #expect(result.eps == [0, 0.0039, 0.0078] && result.robustAccuracy == [0.93, 0.6, 0.3])
    #expect(result.sanityChecks.count == 1 && result.perClassRobustAccuracy == [[0.9], [0.5]])
    #expect(result.curve(name: "CE").name == "CE")
    let norm = try write(#"{"norm": "l1", "clean_accuracy": 0.9, "eps": [0], "robust_accuracy": [0.9]}"#, "l1.json")
    #expect(throws: FileError(norm, "norm 'l1' is neither 'linf' nor 'l2' at 'norm'")) { try RunFiles.readRobustness(norm) }
    let lengths = try write(
      #"{"norm": "l2", "clean_accuracy": 0.9, "eps": [0, 1], "robust_accuracy": [0.9]}"#, "lengths.json")
    #expect(throws: FileError(lengths, "2 eps values but 1 robust accuracies")) { try RunFiles.readRobustness(lengths) }
    let missing = try write(#"{"norm": "l2", "eps": [0], "robust_accuracy": [0.9]}"#, "missing.json")
    #expect(throws: FileError(missing, "missing key 'clean_accuracy'")) { try RunFiles.readRobustness(missing) }
  }

  @Test func alignUniformAndTSNEResults() throws {
    let path = try write(
      """
      {"alignment": 0.41, "uniformity": -3.2, "n": 500, "dim": 128, "per_class_uniformity": {"0": -2.5, "1": -2.7}, "intra_class_distance": 0.6, "inter_class_distance": 1.1, "tolerance": 0.45}
      """, "align-uniform-test.json")
    let result = try RunFiles.readAlignUniform(path)
    #expect(result.alignment == 0.41 && result.uniformity == -3.2 && result.dim == 128)
    #expect(result.perClassUniformity == ["0": -2.5, "1": -2.7])
    let tsne = try write(
      #"{"kl_divergence": 1.49, "iterations": 750, "seconds": 12.5, "perplexity": 30, "n": 10000, "method": "fft", "seed": 0, "trustworthiness": 0.99}"#,
      "tsne-test.json")
    let report = try RunFiles.readTSNEReport(tsne)
    #expect(report.perplexity == 30 && report.iterations == 750 && report.method == "fft")
    #expect(report.klDivergence == 1.49 && report.n == 10000 && report.trustworthiness == 0.99)
  }

  @Test func matricesAndLabels() throws {
    let matrix = directory.file("features.npy")
    try NPYArray(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6]).write(to: matrix)
    let read = try RunFiles.readMatrix(matrix, columns: 2)
    #expect(read.values == [1, 2, 3, 4, 5, 6] && read.rows == 3 && read.columns == 2)
    #expect(throws: FileError(matrix, "expected 3 columns, found shape [3, 2]")) {
      try RunFiles.readMatrix(matrix, columns: 3)
    }
    let labels = directory.file("labels.npy")
    try NPYArray(shape: [3], int64s: [0, 2, 1]).write(to: labels)
    #expect(try RunFiles.readLabels(labels) == [0, 2, 1])
    #expect(throws: FileError(matrix, "expected a 1-D array of labels, found shape [3, 2]")) {
      try RunFiles.readLabels(matrix)
    }
    let negative = directory.file("negative.npy")
    try NPYArray(shape: [2], int64s: [0, -1]).write(to: negative)
    #expect(throws: FileError(negative, "labels must be ≥ 0, found -1")) { try RunFiles.readLabels(negative) }
    let truncated = try write("\u{93}NUMPY", "truncated.npy")
    #expect(throws: FileError.self) { try RunFiles.readMatrix(truncated) }
  }

  @Test func runDirectoryFindsTagsAndPairsFiles() throws {
    let run = directory.file("simclr")
    try NPYArray(shape: [4, 2], floats: [0, 0, 1, 1, 2, 2, 3, 3]).write(to: run + "/analysis/tsne-test.npy")
    try NPYArray(shape: [4, 3], floats: (0..<12).map(Float.init)).write(to: run + "/features/test.npy")
    try NPYArray(shape: [4, 3], floats: (0..<12).map { Float($0) + 0.5 }).write(
      to: run + "/features/test.positives.npy")
    try NPYArray(shape: [4], int64s: [0, 1, 0, 1]).write(to: run + "/features/test.labels.npy")
    try NPYArray(shape: [2, 3], floats: (0..<6).map(Float.init)).write(to: run + "/features/train.npy")
    try AtomicFile.write(
      Data(#"{"alignment": 0.3, "uniformity": -2}"#.utf8), to: run + "/analysis/align-uniform-test.json")
    try AtomicFile.write(
      Data(#"{"norm": "l2", "clean_accuracy": 0.9, "eps": [0.5], "robust_accuracy": [0.4]}"#.utf8),
      to: run + "/analysis/robustness-l2.json")

    let directory = try RunDirectory(run + "/")
    #expect(directory.name == "simclr")
    #expect(
      directory.tsneTags == ["test"] && directory.featureTags == ["test", "train"]
        && directory.alignUniformTags == ["test"])
    #expect(directory.robustnessFiles == [run + "/analysis/robustness-l2.json"])
    #expect(try directory.chooseTag(nil, from: directory.tsneTags, what: "t-SNE embedding") == "test")
    #expect(throws: FileError(run + "/", "several of feature set: test, train; choose one with --tag")) {
      try directory.chooseTag(nil, from: directory.featureTags, what: "feature set")
    }
    #expect(throws: FileError(run + "/", "no feature set with tag 'val' (found: test, train)")) {
      try directory.chooseTag("val", from: directory.featureTags, what: "feature set")
    }
    let embedding = try directory.embedding(tag: "test")
    #expect(embedding.x == [0, 1, 2, 3] && embedding.labels == [0, 1, 0, 1] && embedding.title == "simclr")
    let set = try directory.featureSet(tag: "test")
    #expect(set.dimension == 3 && set.labels == [0, 1, 0, 1] && set.positives?.first == 0.5 && set.alignment == 0.3)
    // train has no labels of its own: drawn without classes, not an error.
    #expect(try directory.featureSet(tag: "train").labels == nil)
    #expect(throws: FileError(run + "/analysis/tsne-train.npy", "no such file")) {
      try directory.embedding(tag: "train")
    }

    try NPYArray(shape: [3], int64s: [0, 1, 0]).write(to: run + "/features/test.labels.npy")
    #expect(
      throws: FileError(
        run + "/features/test.labels.npy", "3 labels for the 4 points of \(run + "/analysis/tsne-test.npy")")
    ) {
      try directory.embedding(tag: "test")
    }
    #expect(throws: FileError(self.directory.file("missing"), "no such run directory")) {
      try RunDirectory(self.directory.file("missing"))
    }
  }
}
