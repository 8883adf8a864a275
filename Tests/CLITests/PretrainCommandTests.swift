import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

/// `clens pretrain` as a user runs it (the real process), and the analysis commands on
/// the run it leaves, with no extra flags.
@Suite(.serialized) struct PretrainCommandTests {
  static let tiny = [
    "pretrain", "--dataset", "digits", "--limit", "256", "--width", "4", "--head-dim", "16", "--batch-size", "64",
    "--lr", "0.05", "--eval-limit", "60", "--log-every", "2", "--checkpoint-every", "2", "--threads", "2", "--seed",
    "3", "--quiet",
  ]

  static func pretrain(_ method: String, epochs: Int, out: String) throws -> CommandLineTool.Result {
    try CommandLineTool.run(tiny + ["--method", method, "--epochs", String(epochs), "--out", out])
  }

  @Test func theAnalysesReadATrainingRunAsItIs() throws {
    let dir = TemporaryDirectory()
    let run = dir.file("simclr")
    let trained = try Self.pretrain("simclr", epochs: 2, out: run)
    #expect(trained.status == 0, "\(trained.stderr)")
    #expect(trained.stdout.contains("simclr: 2 epochs, 8 steps"))
    for arguments in [
      ["features", "--run", run, "--quiet"],
      ["tsne", "--run", run, "--perplexity", "10", "--iterations", "50", "--quiet"],
      ["align-uniform", "--run", run, "--quiet"],
      ["plot", "scores", run], ["plot", "training", run], ["plot", "tsne", run], ["plot", "align-uniform", run],
    ] {
      let result = try CommandLineTool.run(arguments)
      #expect(result.status == 0, "\(arguments.prefix(2)): \(result.stderr)")
    }
    let directory = try RunDirectory(run)
    let report = try #require(try directory.alignUniformReport("epoch-2"))
    #expect(report.alignment != nil && report.knnAccuracy != nil)
    #expect(directory.contains("figures/scores.pdf") && directory.contains("figures/training.png"))
    #expect(directory.contains("figures/tsne-epoch-2.pdf") && directory.contains("figures/align-uniform-epoch-2-plane.pdf"))
    // The t-SNE legend names the classes stored with the run.
    #expect(try pdfText(directory.file("figures/tsne-epoch-2.pdf")).contains("0"))
    // The encoder, without its prefix, has torchvision's names.
    let checkpoint = try SafeTensorsFile.read(directory.lastCheckpoint)
    #expect(checkpoint.metadata["format"] == CheckpointMetadata.format)
    #expect(checkpoint.tensors.keys.contains("encoder.layer4.1.conv2.weight"))
  }

  @Test func classNamesOfTheRunLabelFiguresAndTooFewNamesAreAnError() throws {
    let dir = TemporaryDirectory()
    let run = dir.file("supcon")
    #expect(try Self.pretrain("supcon", epochs: 1, out: run).status == 0)
    // Give the run's classes recognisable names.
    var configuration = try #require(try RunDirectory(run).configuration())
    configuration.data.classNames = (0..<10).map { "digit\($0)" }
    try JSONOutput.write(configuration, to: run + "/config.json")
    #expect(try CommandLineTool.run(["tsne", "--run", run, "--iterations", "30", "--perplexity", "5", "--quiet"]).status == 0)
    #expect(try CommandLineTool.run(["plot", "tsne", run, "--format", "pdf"]).status == 0)
    #expect(try pdfText(run + "/figures/tsne-epoch-1.pdf").contains("digit7"))
    let tooFew = try CommandLineTool.run(["plot", "tsne", run, "--class-names", "a,b,c"])
    #expect(tooFew.status != 0 && tooFew.stderr.contains("3 class name(s) for labels up to 9"))
  }

  /// A run without positives gets a report the plots and `compare` still accept.
  @Test func alignmentWithoutPositivesDoesNotBreakThePlots() throws {
    let dir = TemporaryDirectory()
    let run = dir.file("run")
    #expect(try Self.pretrain("simclr", epochs: 1, out: run).status == 0)
    let plain = try CommandLineTool.run(["features", "--run", run, "--tag", "plain", "--views", "none", "--quiet"])
    #expect(plain.status == 0, "\(plain.stderr)")
    try FileManager.default.removeItem(atPath: run + "/features/plain.positives.npy")
    let measured = try CommandLineTool.run(["align-uniform", "--run", run, "--tag", "plain", "--quiet"])
    #expect(measured.status == 0 && measured.stderr.contains("no positives given"))
    #expect(try RunDirectory(run).alignUniformReport("plain")?.alignment == nil)
    let plot = try CommandLineTool.run(["plot", "align-uniform", run, "--tag", "plain"])
    #expect(plot.status == 0, "\(plot.stderr)")
    let other = dir.file("other")
    try FileManager.default.copyItem(atPath: run, toPath: other)
    let compared = try CommandLineTool.run(["compare", run, other, "--tag", "plain", "--out", dir.file("cmp")])
    #expect(compared.status == 0, "\(compared.stderr)")
    #expect(FileManager.default.fileExists(atPath: dir.file("cmp/align-uniform-plain.pdf")))
  }

  /// SIGKILL at a random moment, then --resume: the same final weights, bit for bit.
  @Test func aKilledRunResumesToTheSameWeights() throws {
    let dir = TemporaryDirectory()
    let arguments = Self.tiny + ["--method", "simclr", "--epochs", "8"]
    #expect(try CommandLineTool.run(arguments + ["--out", dir.file("whole")]).status == 0)
    let process = try CommandLineTool.start(arguments + ["--out", dir.file("killed")])
    let index = dir.file("killed/checkpoints/index.json")
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline {
      if let saved = try? JSONInput.read(CheckpointIndex.self, from: index), saved.checkpoints.contains(where: { $0.step >= 6 }) {
        break
      }
      usleep(2000)
    }
    let killedEarly = process.isRunning
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let resumed = try CommandLineTool.run(["pretrain", "--resume", dir.file("killed"), "--threads", "2", "--quiet"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let a = try SafeTensorsFile.read(dir.file("whole/checkpoints/last.safetensors")).tensors
    let b = try SafeTensorsFile.read(dir.file("killed/checkpoints/last.safetensors")).tensors
    #expect(a == b, "killed while running: \(killedEarly)")
    let steps = try RunDirectory(dir.file("killed")).metricsFile.read().records.map(\.step)
    #expect(steps == Array(stride(from: 2, through: 32, by: 2)))
    // The write the kill interrupted, if any, left nothing behind after the resume.
    let leftovers = FileManager.default.enumerator(atPath: dir.file("killed"))?.compactMap { $0 as? String }
      .filter { $0.contains(AtomicFile.partialFolder) }
    #expect(leftovers == [], "\(leftovers ?? [])")
  }

  @Test func mocoWithFeatureTransformationLogsBothScores() throws {
    let dir = TemporaryDirectory()
    let run = dir.file("moco-ft")
    let result = try CommandLineTool.run(
      Self.tiny + ["--method", "moco", "--feature-transform", "--moco-k", "128", "--epochs", "1", "--out", run])
    #expect(result.status == 0, "\(result.stderr)")
    let configuration = try #require(try RunDirectory(run).configuration())
    #expect(configuration.moco?.featureTransform?.positiveAlpha == 2 && configuration.loss?.temperature == 0.2)
    #expect(configuration.data.recipe == "moco-v2")
    let scores = try RunDirectory(run).scoresFile.read().records
    #expect(scores.allSatisfy { $0.positiveUntransformed != nil && $0.negative.count == 64 * 128 })
    #expect(try CommandLineTool.run(["plot", "scores", run]).status == 0)
    let wrong = try CommandLineTool.run(Self.tiny + ["--method", "simclr", "--moco-k", "128", "--out", dir.file("x")])
    #expect(wrong.status != 0 && wrong.stderr.contains("apply to --method moco"))
  }

  @Test func fncAndSelfConRunFromTheCommandLine() throws {
    let dir = TemporaryDirectory()
    let fnc = dir.file("fnc")
    let result = try CommandLineTool.run(
      Self.tiny + ["--method", "fnc", "--support-views", "1", "--memory-multiplier", "3", "--epochs", "1", "--out", fnc])
    #expect(result.status == 0, "\(result.stderr)")
    let configuration = try #require(try RunDirectory(fnc).configuration())
    #expect(configuration.data.views == 3 && configuration.data.recipe == "fnc" && configuration.fnc?.topK == 10)
    let metrics = try RunDirectory(fnc).metricsFile.read().records
    #expect(metrics.contains { $0.values["fnc_found_per_image"] != nil })
    let selfcon = dir.file("selfcon")
    let second = try CommandLineTool.run(Self.tiny + ["--method", "selfcon", "--epochs", "1", "--out", selfcon])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(try RunDirectory(selfcon).configuration()?.model.exit == .init(stage: 2, size: "fc"))
    // SelfCon's evaluation: a probe per exit and their ensemble.
    let probe = try CommandLineTool.run([
      "linear-eval", "--from", selfcon, "--limit", "300", "--l2", "1e-3", "--threads", "2", "--quiet", "--json",
    ])
    #expect(probe.status == 0, "\(probe.stderr)")
    let report = try JSONDecoder().decode(LinearEvalReport.self, from: Data(probe.stdout.utf8))
    #expect(report.heads?.map(\.name) == ["sub", "ensemble"])
    #expect(report.heads?.allSatisfy { $0.selectedTestAccuracy > 0.1 && $0.selectedTestAccuracy <= 1 } == true)
    let small = try CommandLineTool.run(
      Self.tiny + ["--method", "fnc", "--support-views", "2", "--memory-multiplier", "3", "--out", dir.file("x")])
    #expect(small.status != 0 && small.stderr.contains("--memory-multiplier must be 0 or at least"))
  }

  @Test func badOptionsAndDirectoriesGetOneClearLine() throws {
    let dir = TemporaryDirectory()
    let run = dir.file("run")
    #expect(try Self.pretrain("simclr", epochs: 1, out: run).status == 0)
    let again = try Self.pretrain("simclr", epochs: 1, out: run)
    #expect(again.status != 0 && again.stderr.contains("holds another run; continue it with --resume"))
    let cases: [([String], String)] = [
      (["pretrain", "--method", "byol", "--out", dir.file("x")], "unknown --method 'byol'"),
      (["pretrain", "--method", "simclr"], "give --out DIR for a new run or --resume DIR"),
      (["pretrain", "--resume", run, "--lr", "0.1"], "--resume takes every setting from the run's config.json"),
      (["pretrain", "--method", "simclr", "--out", dir.file("y"), "--lr", "inf"], "--lr must be a positive number"),
      (["pretrain", "--method", "simclr", "--out", dir.file("y"), "--views", "1"], "--views must be at least 2"),
      (["pretrain", "--method", "moco", "--out", dir.file("y"), "--ft-start-epoch", "1"], "apply with --feature-transform"),
      (
        ["pretrain", "--method", "moco", "--feature-transform", "--epochs", "2", "--ft-start-epoch", "2", "--out", dir.file("y")],
        "--ft-start-epoch must be at least 0 and less than the epochs (2), got 2"
      ),
      (["pretrain", "--resume", dir.file("missing")], "no such run directory"),
      (["features", "--run", dir.file("missing")], "no such run directory"),
    ]
    for (arguments, message) in cases {
      let result = try CommandLineTool.run(arguments)
      #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count <= 3, "\(arguments): \(result.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.file("y")))
  }
}

/// The text of a PDF (poppler's pdftotext).
func pdfText(_ path: String) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
  process.arguments = [path, "-"]
  let pipe = Pipe()
  process.standardOutput = pipe
  try process.run()
  let output = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return String(decoding: output, as: UTF8.self)
}
