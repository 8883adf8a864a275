import ArgumentParser
import Engine
import Foundation
import TestSupport
import Testing

@testable import clens

@Suite struct AnalysisCommandTests {
  /// A run directory with clustered float32 features, labels and positives under `tag`.
  static func makeRun(_ dir: TemporaryDirectory, n: Int = 120, d: Int = 6, tag: String = "test")
    throws
  {
    var rng = RandomGenerator(seed: 3)
    var x = [Float]()
    var labels = [Int64]()
    for i in 0..<n {
      let c = i % 3
      for j in 0..<d { x.append(Float((j == c ? 4.0 : 0.0) + rng.normal())) }
      labels.append(Int64(c))
    }
    let positives = x.map { $0 + Float(rng.normal(mean: 0, std: 0.1)) }
    try NPYArray(shape: [n, d], floats: x).write(to: dir.file("features/\(tag).npy"))
    try NPYArray(shape: [n], int64s: labels).write(to: dir.file("features/\(tag).labels.npy"))
    try NPYArray(shape: [n, d], floats: positives).write(
      to: dir.file("features/\(tag).positives.npy"))
  }

  static func json(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
  }

  @Test func tsneWritesIntoTheRun() throws {
    let dir = TemporaryDirectory()
    try AnalysisCommandTests.makeRun(dir)
    var command = try TSNECommand.parse([
      "--run", dir.path, "--perplexity", "10", "--iterations", "60", "--quiet", "--json",
    ])
    try command.run()
    let embedding = try NPYArray.read(dir.file("analysis/tsne-test.npy"))
    #expect(embedding.shape == [120, 2])
    #expect(embedding.floats().allSatisfy { $0.isFinite })
    let report = try AnalysisCommandTests.json(dir.file("analysis/tsne-test.json"))
    for key in [
      "kl_divergence", "iterations", "seconds", "perplexity", "n", "method", "seed",
      "trustworthiness", "knn_accuracy",
    ] {
      #expect(report[key] != nil, "missing \(key)")
    }
    #expect(report["iterations"] as? Int == 310)
    #expect(report["method"] as? String == "exact")
    #expect((report["knn_accuracy"] as? Double ?? 0) > 0.9)
    command = try TSNECommand.parse([
      "--run", dir.path, "--pca", "3", "--iterations", "10", "--early-iterations", "10", "--quiet",
    ])
    try command.run()
    #expect(
      try AnalysisCommandTests.json(dir.file("analysis/tsne-test.json"))["pca_components"] as? Int
        == 3)
  }

  @Test func tsnePlacesNewPoints() throws {
    let dir = TemporaryDirectory()
    try AnalysisCommandTests.makeRun(dir)
    let command = try TSNECommand.parse([
      "--features", dir.file("features/test.npy"), "--out", dir.file("e.npy"), "--perplexity", "10",
      "--transform", dir.file("features/test.positives.npy"), "--transform-out",
      dir.file("placed.npy"), "--quiet",
    ])
    try command.run()
    #expect(try NPYArray.read(dir.file("placed.npy")).shape == [120, 2])
  }

  @Test func alignUniformWritesIntoTheRun() throws {
    let dir = TemporaryDirectory()
    try AnalysisCommandTests.makeRun(dir)
    let command = try AlignUniformCommand.parse(["--run", dir.path, "--quiet"])
    try command.run()
    let report = try AnalysisCommandTests.json(dir.file("analysis/align-uniform-test.json"))
    for key in [
      "alignment", "uniformity", "n", "dim", "per_class_uniformity", "intra_class_distance",
      "inter_class_distance", "tolerance", "knn_accuracy", "linear_probe_accuracy", "uniformity_positives",
      "uniformity_both_views",
    ] {
      #expect(report[key] != nil, "missing \(key)")
    }
    let features = report["uniformity"] as? Double ?? .nan
    let positives = report["uniformity_positives"] as? Double ?? .nan
    let both = report["uniformity_both_views"] as? Double ?? .nan
    #expect(abs(both - (features + positives) / 2) < 1e-12 && features != positives, "\(report)")
    #expect(
      (report["per_class_uniformity"] as? [String: Double])?.keys.sorted() == ["0", "1", "2"])
  }

  /// `--dataset` embeds and measures a dataset's pixels, and `--plot` draws the figures.
  @Test func datasetPixelsAreFeaturesAndPlotDraws() throws {
    let dir = TemporaryDirectory()
    let tsne = try TSNECommand.parse([
      "--dataset", "digits", "--limit", "300", "--iterations", "100", "--plot", dir.file("tsne.png"),
      "--out", dir.file("e.npy"), "--quiet",
    ])
    try tsne.run()
    #expect(try NPYArray.read(dir.file("e.npy")).shape == [300, 2])
    let png = try Data(contentsOf: URL(fileURLWithPath: dir.file("tsne.png")))
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    let align = try AlignUniformCommand.parse([
      "--dataset", "digits", "--split", "test", "--plot", dir.file("au.svg"), "--no-probe", "--quiet",
    ])
    try align.run()
    let svg = try String(contentsOfFile: dir.file("au.svg"), encoding: .utf8)
    #expect(svg.contains("<svg"))
    func refusal(_ arguments: [String]) -> String {
      do {
        _ = try TSNECommand.parse(arguments)
        return "accepted"
      } catch {
        return TSNECommand.message(for: error)
      }
    }
    #expect(refusal(["--dataset", "digits", "--features", "e.npy", "--out", "x.npy"]).contains("only one of"))
    #expect(refusal(["--features", "e.npy", "--split", "test", "--out", "x.npy"]).contains("only with --dataset"))
    #expect(refusal(["--dataset", "digits"]).contains("give --out"))
    #expect(refusal(["--dataset", "digits", "--out", "e.npy", "--format", "svg"]).contains("only with --plot"))
    #expect(refusal(["--dataset", "digits", "--out", "e.npy", "--class-names", "a,b"]).contains("only with --plot"))
    // --class-names reaches the figure: two names for the ten digit classes is an error.
    let named = try TSNECommand.parse([
      "--dataset", "digits", "--limit", "300", "--iterations", "100", "--plot", dir.file("named.png"),
      "--class-names", "zero,one", "--out", dir.file("named.npy"), "--quiet",
    ])
    #expect(throws: (any Error).self) { try named.run() }
    #expect(!FileManager.default.fileExists(atPath: dir.file("named.png")))
    for (arguments, message) in [
      (["--features", "f.npy", "--views", "simclr"], "only with --dataset"),
      (["--dataset", "digits", "--views", "bogus"], "unknown --views recipe"),
    ] {
      do {
        _ = try AlignUniformCommand.parse(arguments)
        Issue.record("\(arguments) was accepted")
      } catch {
        #expect(AlignUniformCommand.message(for: error).contains(message))
      }
    }
    do {
      _ = try AlignUniformCommand.parse(["--dataset", "digits", "--positives", "p.npy"])
      Issue.record("--dataset with --positives was accepted")
    } catch {
      #expect(AlignUniformCommand.message(for: error).contains("row-aligned"))
    }
  }

  /// `--views` makes two augmented views per image: seeded, the same for any thread
  /// count, different from each other, never blank.
  @Test func augmentedViewsAreSeededAndThreadIndependent() throws {
    let input = try FeatureInputOptions.parse(["--dataset", "digits", "--limit", "200"])
    let one = try input.load(seed: 4, threads: .one, views: .simclr)
    let two = try input.load(seed: 4, threads: ThreadCount(2), views: .simclr)
    let other = try input.load(seed: 5, threads: .one, views: .simclr)
    let positives = try #require(one.augmentedPositives)
    #expect(one.features == two.features && one.augmentedPositives == two.augmentedPositives)
    #expect(one.features != positives && one.features != other.features)
    #expect(one.features.rows == 200 && positives.rows == 200)
    for matrix in [one.features, positives] {
      for row in 0..<matrix.rows {
        let values = matrix.values[row * matrix.columns..<(row + 1) * matrix.columns]
        #expect(values.contains { $0 != 0 }, "row \(row) is blank")
      }
    }
    let align = try AlignUniformCommand.parse([
      "--dataset", "digits", "--views", "simclr", "--no-probe", "--quiet", "--json",
    ])
    try align.run()
  }

  /// Each bad input gives one FileError naming the file.
  @Test func badInputNamesTheFile() throws {
    let dir = TemporaryDirectory()
    var x = (0..<60).map { Float($0 % 7) + Float($0) * 0.01 }
    x[3 * 6 + 2] = .nan
    try NPYArray(shape: [10, 6], floats: x).write(to: dir.file("nan.npy"))
    try NPYArray(shape: [10, 3, 2], floats: x.map { $0.isNaN ? 0 : $0 }).write(
      to: dir.file("cube.npy"))
    try NPYArray(shape: [10, 6], floats: x.map { $0.isNaN ? 0 : $0 }).write(to: dir.file("ok.npy"))
    try NPYArray(shape: [9], int64s: Array(repeating: 1, count: 9)).write(to: dir.file("nine.npy"))
    // Finite values whose squares overflow float32 (the kNN heap once stayed empty on them).
    var huge = x.map { $0.isNaN ? 0 : $0 }
    for j in 0..<6 { huge[2 * 6 + j] = 2e19 }
    try NPYArray(shape: [10, 6], floats: huge).write(to: dir.file("huge.npy"))
    func error(_ args: [String]) -> String? {
      do {
        let command = try TSNECommand.parse(args + ["--out", dir.file("e.npy"), "--quiet"])
        try command.run()
        return nil
      } catch let e as FileError {
        return e.description
      } catch {
        return "\(error)"
      }
    }
    #expect(
      error(["--features", dir.file("nan.npy")])
        == "\(dir.file("nan.npy")): row 3 contains NaN or infinity")
    #expect(error(["--features", dir.file("huge.npy")])?.contains("row 2 is too large for float32 distances") == true)
    let knn = try CommandLineTool.run(["align-uniform", "--features", dir.file("huge.npy"), "--quiet"])
    #expect(knn.status != 0 && knn.stderr.contains("row 2 is too large"), "\(knn.stderr)")
    #expect(
      error(["--features", dir.file("cube.npy")])
        == "\(dir.file("cube.npy")): features must be a 2-D array [N, D], found shape [10, 3, 2]")
    #expect(
      error(["--features", dir.file("ok.npy"), "--labels", dir.file("nine.npy")])
        == "\(dir.file("nine.npy")): has 9 labels but the features have 10 rows")
    #expect(
      error(["--features", dir.file("missing.npy")]) == "\(dir.file("missing.npy")): no such file")
    // Perplexity 30 is too large for 10 points: clamped to 3 with a warning, as openTSNE does.
    #expect(
      error(["--features", dir.file("ok.npy"), "--iterations", "5", "--early-iterations", "5"])
        == nil)
    #expect(throws: (any Error).self) { try TSNECommand.parse(["--features", dir.file("ok.npy")]) }
    #expect(throws: (any Error).self) {
      try TSNECommand.parse([
        "--features", dir.file("ok.npy"), "--out", "o.npy", "--perplexity", "0",
      ])
    }
    #expect(throws: (any Error).self) {
      try AlignUniformCommand.parse(["--features", "a.npy", "--run", "r"])
    }
    // Infinite settings are refused before anything runs or is written.
    for option in ["--learning-rate", "--exaggeration", "--early-exaggeration"] {
      let result = try CommandLineTool.run([
        "tsne", "--features", dir.file("ok.npy"), "--out", dir.file("inf.npy"), option, "inf", "--quiet",
      ])
      #expect(result.status != 0 && result.stderr.contains("must be a positive number"), "\(option): \(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir.file("inf.npy")))
    }
  }

  @Test func runNeedsATagWhenThereAreSeveral() throws {
    let dir = TemporaryDirectory()
    try AnalysisCommandTests.makeRun(dir, tag: "train")
    try AnalysisCommandTests.makeRun(dir, tag: "test")
    let command = try AlignUniformCommand.parse(["--run", dir.path, "--quiet"])
    #expect(
      throws: FileError(
        dir.path, "several of feature set (features/<tag>.npy): test, train; choose one with --tag")
    ) { try command.run() }
    let tagged = try AlignUniformCommand.parse([
      "--run", dir.path, "--tag", "train", "--quiet", "--no-probe", "--knn", "0",
    ])
    try tagged.run()
    #expect(FileManager.default.fileExists(atPath: dir.file("analysis/align-uniform-train.json")))
  }
}
