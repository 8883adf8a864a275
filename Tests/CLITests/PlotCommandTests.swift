import Engine
import Foundation
import TestSupport
import Testing

@testable import clens

/// `clens plot ...` and `clens compare` on small run directories written here.
@Suite struct PlotCommandTests {
  let directory = TemporaryDirectory()

  /// A run with every file the plot commands read, in the DESIGN.md formats.
  func makeRun(_ name: String, shift: Double) throws -> String {
    let run = directory.file(name)
    var metrics = ""
    for step in stride(from: 0, to: 300, by: 10) {
      let loss = 2 * exp(-Double(step) / 100) + shift
      metrics +=
        #"{"step": \#(step), "epoch": \#(Double(step) / 100), "loss": \#(loss), "lr": 0.1, "accuracy": 0.5, "loss_ce": \#(loss - 0.1)}"#
        + "\n"
    }
    try AtomicFile.write(Data(metrics.utf8), to: run + "/metrics.jsonl")
    var scores = ""
    for step in stride(from: 0, to: 300, by: 50) {
      let moments =
        #"{"mean": \#(0.5 + shift), "variance": 0.01, "count": 64, "histogram": {"edges": [-1, 0, 1], "counts": [10, 54]}}"#
      scores += #"{"step": \#(step), "epoch": 1.0, "positive": \#(moments), "negative": \#(moments)}"# + "\n"
    }
    try AtomicFile.write(Data(scores.utf8), to: run + "/scores.jsonl")
    let n = 60
    try NPYArray(shape: [n, 2], floats: (0..<2 * n).map { Float(sin(Double($0) + shift)) }).write(
      to: run + "/analysis/tsne-test.npy")
    try NPYArray(shape: [n], int64s: (0..<n).map { Int64($0 % 3) }).write(to: run + "/features/test.labels.npy")
    try NPYArray(shape: [n, 5], floats: (0..<5 * n).map { Float(cos(Double($0) * 0.3 + shift)) }).write(
      to: run + "/features/test.npy")
    try AtomicFile.write(
      Data(#"{"alignment": \#(0.4 + shift), "uniformity": -2.5}"#.utf8), to: run + "/analysis/align-uniform-test.json")
    try AtomicFile.write(
      Data(
        #"{"norm": "linf", "n": 100, "clean_accuracy": 0.9, "eps": [0, 0.0157], "robust_accuracy": [0.9, \#(0.2 + shift)]}"#
          .utf8),
      to: run + "/analysis/robustness-linf.json")
    return run
  }

  func run(_ arguments: [String]) throws {
    var command = try CLens.parseAsRoot(arguments)
    try command.run()
  }

  func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  @Test func everyPlotCommandWritesItsFigureAndSidecar() throws {
    let a = try makeRun("ce", shift: 0)
    try run(["plot", "tsne", a, "--dpi", "72"])
    #expect(
      exists(a + "/figures/tsne-test.png") && exists(a + "/figures/tsne-test.pdf")
        && exists(a + "/figures/tsne-test.json"))
    try run(["plot", "align-uniform", a, "--format", "svg", "--dpi", "72"])
    #expect(exists(a + "/figures/align-uniform-test.svg") && exists(a + "/figures/align-uniform-test-plane.svg"))
    try run([
      "plot", "scores", a, "--steps", "0,100,250", "--distribution", "histogram", "--out", directory.file("s.pdf"),
    ])
    #expect(exists(directory.file("s.pdf")) && !exists(directory.file("s.png")))
    try run([
      "plot", "robustness", a, "--names", "CE-tuning", "--format", "png,pdf", "--column", "double", "--dpi", "72",
    ])
    #expect(exists(a + "/figures/robustness.png") && exists(a + "/figures/robustness.pdf"))
    try run([
      "plot", "training", a + "/metrics.jsonl", "--smooth", "0.5", "--log-loss", "--out", directory.file("t"),
      "--format", "png", "--dpi", "72",
    ])
    #expect(exists(directory.file("t.png")))
    let sidecar =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file("t.json"))))
      as? [String: Any]
    #expect(sidecar?["inputs"] as? [String] == [a + "/metrics.jsonl"])
    #expect(sidecar?["formats"] as? [String] == ["png"])
  }

  @Test func compareDrawsEverythingBothRunsHave() throws {
    let a = try makeRun("ce-tuning", shift: 0), b = try makeRun("core-tuning", shift: 0.1)
    let out = directory.file("compare")
    try run(["compare", a, b, "--out", out, "--format", "png", "--dpi", "72"])
    for name in ["training", "scores", "tsne-test", "align-uniform-test", "align-uniform-plane-test", "robustness"] {
      #expect(exists("\(out)/\(name).png"), "\(name) missing")
    }
    try run(["plot", "tsne", "--compare", a, b, "--out", directory.file("side"), "--format", "png", "--dpi", "72"])
    #expect(exists(directory.file("side.png")))
  }

  @Test func badInputIsOneClearError() throws {
    let a = try makeRun("run", shift: 0)
    #expect(throws: FileError(directory.file("nope"), "no such run directory or file")) {
      try run(["plot", "training", directory.file("nope")])
    }
    #expect(throws: (any Error).self) { try run(["plot", "tsne", a, "--format", "gif"]) }
    #expect(throws: (any Error).self) { try run(["plot", "tsne", "--compare", a]) }
    #expect(throws: (any Error).self) { try run(["plot", "training", a, "--smooth", "1.5"]) }
    #expect(throws: (any Error).self) { try run(["plot", "tsne", a + "/features/test.npy"]) }
    let empty = directory.file("empty")
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    #expect(throws: FileError(empty, "no t-SNE embedding (analysis/tsne-<tag>.npy) found")) {
      try run(["plot", "tsne", empty])
    }
    #expect(throws: FileError.self) { try run(["compare", empty, empty]) }
    // An output folder that cannot be created.
    let blocker = directory.file("file")
    try AtomicFile.write(Data("x".utf8), to: blocker)
    #expect(throws: FileError.self) { try run(["plot", "training", a, "--out", blocker + "/fig"]) }
  }
}
