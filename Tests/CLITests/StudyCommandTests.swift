import Foundation
import RunFormat
import TestSupport
import Testing

/// `clens study` end to end on the bundled digits: every promised file exists and parses,
/// the report's numbers are the run directories' own, and a second start resumes.
@Suite(.serialized) struct StudyCommandTests {
  static let tinyStudy = """
    {"dataset": "digits", "seed": 2, "methods": ["simclr", "moco-ft"],
     "pretraining": {"images": 256, "epochs": 1, "batch_size": 64},
     "fine_tuning": {"images": 256, "epochs": 2, "batch_size": 16},
     "robustness_images": 20, "attack_steps": 2, "evaluation_images": 120, "width": 4}
    """

  @Test func aTinyStudyLeavesItsRunsFiguresAndATrueReport() throws {
    let dir = TemporaryDirectory()
    let config = dir.file("tiny.json")
    try Data(Self.tinyStudy.utf8).write(to: URL(fileURLWithPath: config))
    let out = dir.file("study")
    let first = try CommandLineTool.run(["study", "--config", config, "--out", out, "--threads", "2", "--quiet"])
    #expect(first.status == 0, "\(first.stderr)")
    let report = try Self.checkReport(in: out, methods: ["simclr", "moco-ft"])

    // Started again, every stage is done; with a stage's run removed, only that stage runs.
    let second = try CommandLineTool.run(["study", "--out", out, "--threads", "2", "--quiet"])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stdout.components(separatedBy: "done earlier").count - 1 == 8)
    try FileManager.default.removeItem(atPath: out + "/finetune-core")
    let third = try CommandLineTool.run(["study", "--out", out, "--threads", "2", "--quiet"])
    #expect(third.status == 0, "\(third.stderr)")
    #expect(third.stdout.contains("finetune core …") && !third.stdout.contains("pretrain simclr …"))
    let redone = try JSONInput.read(StudyReport.self, from: out + "/report.json")
    #expect(redone.fineTuning == report.fineTuning, "the same seed gives the same fine-tuning")

    // Another study in the same folder is refused.
    let other = try CommandLineTool.run(["study", "--budget", "quick", "--out", out, "--quiet"])
    #expect(other.status != 0 && other.stderr.contains("holds a study with other settings"))
  }

  /// The budget the README's `scripts/demo --budget quick` runs, on Fashion-MNIST.
  @Test func theQuickBudgetRunsEndToEnd() throws {
    let dir = TemporaryDirectory()
    let out = dir.file("quick")
    let result = try CommandLineTool.run(["study", "--budget", "quick", "--out", out, "--threads", "2", "--quiet"])
    #expect(result.status == 0, "\(result.stderr)")
    _ = try Self.checkReport(in: out, methods: StudyConfiguration.preset(.quick).methods)
  }

  /// Checks a finished study: every promised file exists and parses, and every number of
  /// its report equals the one in the run directory that holds it and appears in report.md.
  static func checkReport(in out: String, methods: [String]) throws -> StudyReport {
    let report = try JSONInput.read(StudyReport.self, from: out + "/report.json")
    #expect(report.pretraining.map(\.method) == methods && report.fineTuning.map(\.method) == ["ce", "core"])
    #expect(report.stages.count == 2 * methods.count + 4 && report.stages.allSatisfy { $0.seconds > 0 })
    for figure in report.figures {
      for format in ["png", "pdf"] {
        #expect(FileManager.default.fileExists(atPath: "\(out)/\(figure.file).\(format)"), "\(figure.file).\(format)")
      }
    }

    let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
    for row in report.pretraining {
      let knn = try JSONInput.read(KNNEvalReport.self, from: "\(out)/pretrain-\(row.method)/analysis/knn-eval.json")
      let linear = try JSONInput.read(LinearEvalReport.self, from: "\(out)/pretrain-\(row.method)/analysis/linear-eval.json")
      #expect(row.knnTestAccuracy == knn.testAccuracy && row.knnValidationAccuracy == knn.validationAccuracy)
      #expect(row.linearTestAccuracy == linear.selectedTestAccuracy)
      let last = try RunDirectory("\(out)/pretrain-\(row.method)").metricsFile.read().records.max { $0.step < $1.step }
      #expect(row.finalLoss == last?.loss)
      #expect(markdown.contains(String(format: "%.2f %%", 100 * row.knnTestAccuracy)))
    }
    let best = report.pretraining.max { ($0.knnValidationAccuracy ?? 0) < ($1.knnValidationAccuracy ?? 0) }
    #expect(report.backbone == best?.method)
    for row in report.fineTuning {
      let run = try RunDirectory("\(out)/finetune-\(row.method)")
      #expect(try run.configuration()?.fineTuning?.source.hasSuffix("pretrain-\(report.backbone)") == true)
      let selected = try run.metricsFile.read().records.first { $0.step == row.selectedStep }
      #expect(selected?.values["test_accuracy"] == row.testAccuracy && selected?.values["val_accuracy"] == row.validationAccuracy)
      #expect(markdown.contains(String(format: "%.2f %%", 100 * row.testAccuracy)))
    }
    for row in report.robustness {
      let curve = try RunFiles.readRobustness("\(out)/finetune-\(row.method)/analysis/robustness-\(row.norm.rawValue).json")
      #expect(row.robustAccuracy == curve.robustAccuracy && row.eps == curve.eps && row.cleanAccuracy == curve.cleanAccuracy)
      #expect(row.checks == curve.sanityChecks.count && row.checks > 0)
    }

    return report
  }

  @Test func impossibleConfigurationsGetOneClearLine() throws {
    let dir = TemporaryDirectory()
    for (text, message) in [
      (#"{"methods": ["byol"]}"#, "unknown 'byol'"),
      (#"{"pretraining": {"images": 100, "epochs": 1, "batch_size": 256}}"#, "batch_size 256 is more than"),
      (#"{"fine_tuning": {"images": 100, "epochs": 1, "batch_size": 64}}"#, "give no step of 4 x 64"),
      (#"{"pretraining": {"images": 512, "epochs": 1, "batch_size": 64, "accumulation": 2}}"#, "fine-tuning only"),
      ("{not json", "tiny.json"),
    ] {
      let config = dir.file("tiny.json")
      try Data(text.utf8).write(to: URL(fileURLWithPath: config))
      let result = try CommandLineTool.run(["study", "--config", config, "--out", dir.file("x"), "--quiet"])
      #expect(result.status != 0 && result.stderr.contains(message), "\(text): \(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir.file("x/report.json")))
    }
  }
}
