import Engine
import Foundation
import RunFormat
import TestSupport
import Testing

/// `clens finetune`, `clens linear-eval` and `clens knn-eval` as a user runs them (the
/// real process), on a tiny pre-training run of the bundled digits.
@Suite(.serialized) struct FineTuneCommandTests {
  static let tinyFineTune = [
    "--limit", "256", "--batch-size", "32", "--accumulation", "2", "--epochs", "2", "--eval-limit", "60",
    "--log-every", "2", "--threads", "2", "--seed", "1", "--quiet",
  ]

  static func pretrained(_ dir: TemporaryDirectory) throws -> String {
    let run = dir.file("pre")
    let result = try CommandLineTool.run(
      PretrainCommandTests.tiny + ["--method", "simclr", "--epochs", "1", "--out", run])
    #expect(result.status == 0, "\(result.stderr)")
    return run
  }

  @Test func coreTuningFromARunAndTheAnalysesOfTwoFineTuningRuns() throws {
    let dir = TemporaryDirectory()
    let pre = try Self.pretrained(dir)
    for method in ["ce", "core"] {
      let result = try CommandLineTool.run(
        ["finetune", "--method", method, "--from", pre, "--out", dir.file(method)] + Self.tinyFineTune)
      #expect(result.status == 0, "\(method): \(result.stderr)")
      #expect(result.stdout.contains("\(method): 2 epochs") && result.stdout.contains("best validation accuracy"))
    }
    let core = try RunDirectory(dir.file("core"))
    let configuration = try #require(try core.configuration())
    #expect(configuration.fineTuning?.core?.eta == 0.1 && configuration.fineTuning?.core?.hardPositive == "reference")
    #expect(configuration.data.dataset == "digits" && configuration.model.classifier?.classes == 10)
    #expect(try core.metricsFile.read().records.contains { $0.lossParts["con"] != nil })
    for arguments in [
      ["tsne", "--run", dir.file("core"), "--perplexity", "10", "--iterations", "40", "--quiet"],
      ["tsne", "--run", dir.file("ce"), "--perplexity", "10", "--iterations", "40", "--quiet"],
      ["align-uniform", "--run", dir.file("core"), "--quiet"], ["align-uniform", "--run", dir.file("ce"), "--quiet"],
      ["robustness", "--run", dir.file("core"), "--norm", "linf", "--eps", "0,2/255", "--limit", "40", "--steps", "2",
       "--check-examples", "10", "--quiet"],
      ["robustness", "--run", dir.file("ce"), "--norm", "linf", "--eps", "0,2/255", "--limit", "40", "--steps", "2",
       "--check-examples", "10", "--quiet"],
      ["compare", dir.file("ce"), dir.file("core"), "--out", dir.file("cmp")],
    ] {
      let result = try CommandLineTool.run(arguments)
      #expect(result.status == 0, "\(arguments.prefix(2)): \(result.stderr)")
    }
    #expect(FileManager.default.fileExists(atPath: dir.file("cmp/tsne-epoch-2.pdf")))
    #expect(FileManager.default.fileExists(atPath: dir.file("cmp/robustness.pdf")))
    #expect(try RunFiles.readRobustness(core.robustnessReportFile(.linf)).n == 40)
    #expect(FileManager.default.fileExists(atPath: dir.file("cmp/training.pdf")))
  }

  @Test func linearAndKNNEvaluationOfARun() throws {
    let dir = TemporaryDirectory()
    let pre = try Self.pretrained(dir)
    let linear = try CommandLineTool.run(["linear-eval", "--from", pre, "--l2", "1e-4,1e-2", "--json", "--threads", "2"])
    #expect(linear.status == 0, "\(linear.stderr)")
    let report = try JSONDecoder().decode(LinearEvalReport.self, from: Data(linear.stdout.utf8))
    #expect(report.l2 == [1e-4, 1e-2] && report.validationAccuracy.count == 2)
    #expect(report.selectedTestAccuracy > 0.2 && report.testCount == 359)
    #expect(try RunDirectory(pre).contains("analysis/linear-eval.json"))
    let knn = try CommandLineTool.run(["knn-eval", "--from", pre, "--k", "20", "--json", "--threads", "2"])
    #expect(knn.status == 0, "\(knn.stderr)")
    let neighbours = try JSONDecoder().decode(KNNEvalReport.self, from: Data(knn.stdout.utf8))
    #expect(neighbours.k == 20 && neighbours.testAccuracy > 0.2 && neighbours.validationAccuracy != nil)
  }

  @Test func badBackbonesAndOptionsGetOneClearLineAndWriteNothing() throws {
    let dir = TemporaryDirectory()
    let pre = try Self.pretrained(dir)
    var rng = RandomGenerator(seed: 0)
    let other = ResNet(ResNetConfiguration(depth: .resnet18, stem: .cifar, width: 8, inChannels: 1, classes: nil), rng: &rng)
    try other.saveWeights(to: dir.file("w8.safetensors"))
    try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: dir.file("junk.safetensors")))
    let cases: [([String], String)] = [
      (["finetune", "--method", "core", "--from", dir.file("missing"), "--out", dir.file("x")], "no such run directory or weights file"),
      (["finetune", "--method", "core", "--from", dir.file("junk.safetensors"), "--out", dir.file("x")], "junk.safetensors"),
      (["finetune", "--method", "ce", "--from", dir.file("w8.safetensors"), "--width", "4", "--dataset", "digits", "--out", dir.file("x")],
       "the backbone does not fit the encoder: shape mismatches"),
      (["finetune", "--method", "ce", "--from", pre, "--labelled", "500", "--out", dir.file("x")], "--labelled 500 per class is more than the data has"),
      (["finetune", "--method", "ce", "--from", pre, "--eta", "1", "--out", dir.file("x")], "apply to --method core"),
      (["finetune", "--method", "mixup", "--from", pre, "--out", dir.file("x")], "--method is needed: ce or core"),
      (["finetune", "--method", "ce", "--out", dir.file("x")], "--from is needed"),
      (["finetune", "--method", "ce", "--from", pre, "--width", "8", "--out", dir.file("x")], "records its own"),
      (["linear-eval", "--from", pre, "--l2=-1"], "--l2 needs non-negative numbers"),
      (["knn-eval", "--from", pre, "--k", "100000"], "--k 100000 is more than"),
    ]
    for (arguments, message) in cases {
      let result = try CommandLineTool.run(arguments)
      #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.file("x")))
  }

  /// A fine-tuning run killed and resumed reaches the weights of an uninterrupted one.
  @Test func aKilledFineTuningRunResumes() throws {
    let dir = TemporaryDirectory()
    let pre = try Self.pretrained(dir)
    let arguments = ["finetune", "--method", "core", "--from", pre, "--checkpoint-every", "1"] + Self.tinyFineTune
    #expect(try CommandLineTool.run(arguments + ["--out", dir.file("whole")]).status == 0)
    let process = try CommandLineTool.start(arguments + ["--out", dir.file("killed")])
    let index = dir.file("killed/checkpoints/index.json")
    while process.isRunning {
      if let saved = try? JSONInput.read(CheckpointIndex.self, from: index), saved.checkpoints.contains(where: { $0.step >= 2 }) {
        break
      }
      usleep(2000)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let resumed = try CommandLineTool.run(["finetune", "--resume", dir.file("killed"), "--quiet"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let a = try SafeTensorsFile.read(dir.file("whole/checkpoints/last.safetensors")).tensors
    let b = try SafeTensorsFile.read(dir.file("killed/checkpoints/last.safetensors")).tensors
    #expect(a == b)
  }
}
