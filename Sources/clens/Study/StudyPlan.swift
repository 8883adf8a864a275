import Engine
import Foundation
import RunFormat

/// Where a study keeps its runs, figures and report, inside one folder.
struct StudyLayout {
  let root: String

  func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
  func pretraining(_ method: String) -> String { path("pretrain-\(method)") }
  func fineTuning(_ method: String) -> String { path("finetune-\(method)") }
  var figures: String { path("figures") }
  var configurationFile: String { path("study.json") }
  var timesFile: String { path("study-times.json") }
  var reportJSON: String { path("report.json") }
  var reportMarkdown: String { path("report.md") }
}

/// One stage of a study: the `clens` command lines it runs, and how to tell it already
/// ran (so a study killed and started again resumes).
struct StudyStage {
  let name: String
  let isDone: () throws -> Bool
  /// Built when the stage runs, from what earlier stages left.
  let commands: () throws -> [[String]]
}

/// The stages of a study: pre-train each method, evaluate each backbone, fine-tune the
/// best one with CE-tuning and Core-tuning, analyse the fine-tuned models.
struct StudyPlan {
  static let fineTuningMethods = ["ce", "core"]

  let configuration: StudyConfiguration
  let layout: StudyLayout
  let threads: Int
  let quiet: Bool

  var stages: [StudyStage] {
    configuration.methods.map(pretrainingStage) + configuration.methods.map(evaluationStage)
      + Self.fineTuningMethods.map(fineTuningStage) + Self.fineTuningMethods.map(analysisStage)
  }

  /// Dataset, seed and thread options every command shares.
  private var shared: [String] {
    var options = ["--dataset", configuration.dataset]
    if let directory = configuration.dataDirectory { options += ["--data-dir", directory] }
    return options + common
  }

  private var common: [String] {
    ["--seed", String(configuration.seed), "--threads", String(threads)] + (quiet ? ["--quiet"] : [])
  }

  private func pretrainingStage(_ method: String) -> StudyStage {
    let path = layout.pretraining(method)
    let stage = configuration.pretraining
    let methodOptions: [String] =
      switch method {
      case "moco-ft": ["--method", "moco", "--feature-transform"]
      case "fnc": ["--method", "fnc", "--support-views", "2", "--memory-multiplier", "8"]
      default: ["--method", method]
      }
    let options =
      methodOptions + [
        "--limit", String(stage.images), "--epochs", String(stage.epochs), "--batch-size", String(stage.batchSize),
        "--width", String(configuration.width), "--eval-limit", String(configuration.evaluationImages),
      ]
    return trainingStage(name: "pretrain \(method)", command: "pretrain", path: path, options: options)
  }

  private func fineTuningStage(_ method: String) -> StudyStage {
    let path = layout.fineTuning(method)
    let stage = configuration.fineTuning
    return StudyStage(
      name: "finetune \(method)",
      isDone: { try Self.isComplete(path) },
      commands: {
        let backbone = try StudyReportBuilder.bestBackbone(configuration.methods, layout: layout)
        let options = [
          "--method", method, "--from", layout.pretraining(backbone), "--limit", String(stage.images), "--epochs",
          String(stage.epochs), "--batch-size", String(stage.batchSize), "--eval-limit",
          String(configuration.evaluationImages),
        ] + (stage.accumulation.map { ["--accumulation", String($0)] } ?? [])
        return [trainingCommand("finetune", path: path, options: options + shared)]
      })
  }

  private func trainingStage(name: String, command: String, path: String, options: [String]) -> StudyStage {
    StudyStage(
      name: name, isDone: { try Self.isComplete(path) },
      commands: { [trainingCommand(command, path: path, options: options + shared)] })
  }

  /// `--resume` for a run that has begun (its settings are in its config.json), a fresh
  /// `--out` otherwise.
  private func trainingCommand(_ command: String, path: String, options: [String]) -> [String] {
    if FileManager.default.fileExists(atPath: RunDirectory(unchecked: path).configurationFile) {
      return [command, "--resume", path, "--threads", String(threads)] + (quiet ? ["--quiet"] : [])
    }
    try? FileManager.default.removeItem(atPath: path)
    return [command] + options + ["--out", path]
  }

  /// Whether the run at `path` has saved its checkpoint of the last step.
  static func isComplete(_ path: String) throws -> Bool {
    let run = RunDirectory(unchecked: path)
    guard let configuration = try run.configuration() else { return false }
    let last = try run.checkpointIndex().checkpoints.map(\.step).max() ?? 0
    return last >= configuration.optimization.totalSteps
  }

  private func evaluationStage(_ method: String) -> StudyStage {
    let path = layout.pretraining(method)
    let run = RunDirectory(unchecked: path)
    let count = configuration.pretraining.images
    let images = ["--limit", String(count)]
    // knn-eval's memory is the sample less its 10 % validation split.
    let neighbours = min(200, count - Int((Double(count) * 0.1).rounded()))
    return StudyStage(
      name: "evaluate \(method)",
      isDone: {
        [run.knnEvalReportFile, run.linearEvalReportFile].allSatisfy { FileManager.default.fileExists(atPath: $0) }
          && !run.alignUniformTags.isEmpty
      },
      commands: {
        [
          ["knn-eval", "--from", path, "--k", String(neighbours)] + images + shared,
          ["linear-eval", "--from", path] + images + shared,
          ["align-uniform", "--run", path] + common,
        ]
      })
  }

  private func analysisStage(_ method: String) -> StudyStage {
    let path = layout.fineTuning(method)
    let run = RunDirectory(unchecked: path)
    let attack = [
      "--preset", "paper", "--limit", String(configuration.robustnessImages), "--steps", String(configuration.attackSteps),
    ]
    return StudyStage(
      name: "analyse \(method)",
      isDone: {
        !run.tsneTags.isEmpty && !run.alignUniformTags.isEmpty
          && PerturbationNorm.allCases.allSatisfy { FileManager.default.fileExists(atPath: run.robustnessReportFile($0)) }
      },
      commands: {
        [["tsne", "--run", path] + common, ["align-uniform", "--run", path] + common]
          + PerturbationNorm.allCases.map { ["robustness", "--run", path, "--norm", $0.rawValue] + attack + common }
      })
  }
}
