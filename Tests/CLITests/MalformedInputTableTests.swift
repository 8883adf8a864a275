import Datasets
import Engine
import Foundation
import Testing
import TestSupport

/// Malformed inputs and impossible options, one row each, run through the real `clens`
/// process: every row must exit non-zero with exactly one stderr line that names the
/// culprit (file or option), and leave nothing at the output path it was given.
@Suite struct MalformedInputTableTests {
  struct Row: CustomStringConvertible {
    var arguments: [String]
    /// What the error line must name: the file or the option.
    var culprit: String
    /// The path the command was asked to write, which must not exist afterwards.
    var output: String
    var description: String { arguments.joined(separator: " ") }
  }

  /// The malformed files, written once.
  final class Inputs: @unchecked Sendable {
    let dir = TemporaryDirectory()
    func file(_ name: String) -> String { dir.file(name) }

    init() {
      let good = NPYArray(shape: [12, 4], floats: (0..<48).map { Float($0 % 5) + Float($0) * 0.01 })
      try? good.write(to: file("ok.npy"))
      let bytes = good.encoded()
      try? AtomicFile.write(Data(bytes.dropLast(7)), to: file("truncated.npy"))
      try? AtomicFile.write(Data("these are not features\n".utf8), to: file("text.npy"))
      var nan = good.floats()
      nan[9] = .nan
      try? NPYArray(shape: [12, 4], floats: nan).write(to: file("nan.npy"))
      try? NPYArray(shape: [0, 4], floats: []).write(to: file("empty.npy"))
      try? NPYArray(shape: [11], int64s: Array(repeating: 0, count: 11)).write(to: file("eleven-labels.npy"))
      try? FileManager.default.createDirectory(atPath: file("folder.npy"), withIntermediateDirectories: true)
      // One 2048x2048 image: its activations through a width-16 ResNet need about 4 GB.
      try? NPYArray(shape: [1, 1, 2048, 2048], uint8s: [UInt8](repeating: 0, count: 2048 * 2048)).write(to: file("huge-image.npy"))
      let weights = SafeTensorsFile(tensors: ["fc.weight": SafeTensor(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))])
        .encoded()
      try? AtomicFile.write(Data(weights.prefix(weights.count - 5)), to: file("truncated.safetensors"))
      try? AtomicFile.write(Data(), to: file("zero.safetensors"))
      // A run whose metrics log has a corrupt middle line.
      try? AtomicFile.write(
        Data("{\"step\": 1, \"loss\": 2.0}\n{\"step\": 2, \"loss\": oops}\n{\"step\": 3, \"loss\": 1.0}\n".utf8),
        to: file("run/metrics.jsonl"))
      // An image-folder dataset with one corrupt PNG.
      for (index, name) in ["a/0.png", "a/1.png", "b/0.png"].enumerated() {
        let png = try? PNGFile.encode(samples: [UInt8](repeating: UInt8(index * 80), count: 64), channels: 1, height: 8, width: 8)
        try? AtomicFile.write(Data(png ?? []), to: file("images/test/" + name))
      }
      try? AtomicFile.write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]), to: file("images/test/b/1.png"))
    }
  }

  static let inputs = Inputs()

  static var rows: [Row] {
    let f = inputs.file
    let model = [
      "--arch", "resnet18", "--width", "4", "--in-channels", "1", "--num-classes", "10", "--stem", "cifar",
    ]
    return [
      Row(arguments: ["tsne", "--features", f("truncated.npy"), "--out", f("o1.npy")], culprit: f("truncated.npy"), output: f("o1.npy")),
      Row(arguments: ["tsne", "--features", f("text.npy"), "--out", f("o2.npy")], culprit: f("text.npy"), output: f("o2.npy")),
      Row(arguments: ["tsne", "--features", f("nan.npy"), "--out", f("o3.npy")], culprit: f("nan.npy"), output: f("o3.npy")),
      Row(arguments: ["tsne", "--features", f("empty.npy"), "--out", f("o4.npy")], culprit: f("empty.npy"), output: f("o4.npy")),
      Row(arguments: ["tsne", "--features", f("folder.npy"), "--out", f("o5.npy")], culprit: f("folder.npy"), output: f("o5.npy")),
      Row(arguments: ["tsne", "--features", f("missing.npy"), "--out", f("o6.npy")], culprit: f("missing.npy"), output: f("o6.npy")),
      Row(
        arguments: ["tsne", "--features", f("ok.npy"), "--labels", f("eleven-labels.npy"), "--out", f("o7.npy")],
        culprit: f("eleven-labels.npy"), output: f("o7.npy")),
      Row(arguments: ["tsne", "--features", f("ok.npy"), "--out", f("o8.npy"), "--perplexity=inf"], culprit: "--perplexity", output: f("o8.npy")),
      Row(arguments: ["tsne", "--features", f("ok.npy"), "--out", f("o9.npy"), "--iterations=-5"], culprit: "--iterations", output: f("o9.npy")),
      Row(
        arguments: ["align-uniform", "--features", f("nan.npy"), "--plot", f("au")], culprit: f("nan.npy"), output: f("au.png")),
      Row(
        arguments: ["align-uniform", "--features", f("ok.npy"), "--positives", f("truncated.npy"), "--plot", f("au2")],
        culprit: f("truncated.npy"), output: f("au2.png")),
      Row(arguments: ["align-uniform", "--features", f("ok.npy"), "--t=nan", "--plot", f("au3")], culprit: "--t", output: f("au3.png")),
      Row(
        arguments: ["features", "--weights", f("truncated.safetensors")] + model + ["--dataset", "digits", "--out", f("f1.npy")],
        culprit: f("truncated.safetensors"), output: f("f1.npy")),
      Row(
        arguments: ["features", "--weights", f("zero.safetensors")] + model + ["--dataset", "digits", "--out", f("f2.npy")],
        culprit: f("zero.safetensors"), output: f("f2.npy")),
      Row(
        arguments: ["features", "--weights", FeaturesCommandTests.fixture("resnet18w16.safetensors")] + model + [
          "--width", "16", "--dataset", "folder", "--data-dir", f("images"), "--out", f("f3.npy"),
        ], culprit: f("images/test/b/1.png"), output: f("f3.npy")),
      Row(
        arguments: ["features", "--weights", FeaturesCommandTests.fixture("resnet18w16.safetensors")] + model + [
          "--width", "16", "--images", f("huge-image.npy"), "--max-memory", "1G", "--out", f("f4.npy"),
        ], culprit: f("huge-image.npy"), output: f("f4.npy")),
      Row(
        arguments: ["pretrain", "--method", "simclr", "--dataset", "digits", "--max-memory", "2M", "--out", f("p4")],
        culprit: "digits", output: f("p4")),
      Row(
        arguments: ["features", "--weights", f("zero.safetensors")] + model + [
          "--dataset", "digits", "--max-memory", "101%", "--out", f("f5.npy"),
        ], culprit: "--max-memory", output: f("f5.npy")),
      Row(
        arguments: ["robustness", "--weights", f("zero.safetensors")] + model + [
          "--dataset", "digits", "--limit", "20", "--eps", "0.1", "--out-dir", f("r1"),
        ], culprit: f("zero.safetensors"), output: f("r1")),
      Row(
        arguments: ["robustness", "--weights", f("zero.safetensors")] + model + [
          "--dataset", "digits", "--eps", "nan", "--out-dir", f("r2"),
        ], culprit: "--eps", output: f("r2")),
      Row(
        arguments: ["plot", "training", f("run"), "--out", f("training")], culprit: f("run/metrics.jsonl"),
        output: f("training.png")),
      Row(arguments: ["plot", "tsne", f("no-such-run"), "--out", f("t")], culprit: f("no-such-run"), output: f("t.png")),
      Row(
        arguments: ["pretrain", "--method", "simclr", "--dataset", "digits", "--epochs=0", "--out", f("p1")], culprit: "--epochs", output: f("p1")),
      Row(
        arguments: ["pretrain", "--method", "simclr", "--dataset", "digits", "--lr=inf", "--out", f("p2")], culprit: "--lr", output: f("p2")),
      Row(
        arguments: ["pretrain", "--method", "simclr", "--dataset", "folder", "--data-dir", f("no-such-folder"), "--out", f("p3")],
        culprit: f("no-such-folder"), output: f("p3")),
      Row(
        arguments: ["finetune", "--method", "ce", "--from", f("no-such-run"), "--dataset", "digits", "--out", f("ft")],
        culprit: f("no-such-run"), output: f("ft")),
      Row(arguments: ["tsne", "--features", f("ok.npy"), "--out", f("o10.npy"), "--bogus"], culprit: "--bogus", output: f("o10.npy")),
      Row(arguments: ["tsne", "--features", f("ok.npy"), "--out", f("o11.npy"), "--theta=nan"], culprit: "--theta", output: f("o11.npy")),
      Row(arguments: ["align-uniform", "--features", f("ok.npy"), "--alpha=inf", "--plot", f("au4")], culprit: "--alpha", output: f("au4.png")),
      Row(
        arguments: ["robustness", "--weights", f("zero.safetensors")] + model + [
          "--dataset", "digits", "--eps", "0.1", "--step-size=nan", "--out-dir", f("r3"),
        ], culprit: "--step-size", output: f("r3")),
    ]
  }

  @Test(arguments: rows)
  func refusedInOneLineNamingTheCulprit(_ row: Row) throws {
    let quiet = row.arguments.first == "plot" ? [] : ["--quiet"]
    let result = try CommandLineTool.run(row.arguments + quiet)
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(result.status != 0, "\(row): exit 0")
    #expect(lines.count == 1, "\(row): \(result.stderr)")
    #expect(lines.first?.contains(row.culprit) == true, "\(row): \(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: row.output), "\(row): \(row.output) was written")
  }
}
