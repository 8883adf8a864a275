import Engine
import Foundation
import RunFormat

/// `report.md` of a study: its tables and figures with captions, every number taken from
/// the `StudyReport` (itself read from the run directories).
enum StudyMarkdown {
  static func render(_ report: StudyReport) -> String {
    let c = report.configuration
    var lines = [
      "# Study: pre-training, CE-tuning vs Core-tuning, analyses",
      "",
      "\(c.dataset), ResNet-18 width \(c.width), seed \(c.seed), \(report.threads) threads, \(report.tool). "
        + "Pre-training: \(c.pretraining.images) images, \(c.pretraining.epochs) epoch(s), batch \(c.pretraining.batchSize). "
        + "Fine-tuning: \(c.fineTuning.images) images (10 % held out for validation), \(c.fineTuning.epochs) epoch(s), "
        + "batch \(c.fineTuning.batchSize). Robustness: \(c.robustnessImages) test images, PGD-\(c.attackSteps).",
      "",
      "## Pre-training",
      "",
      "| method | final loss | 200-NN test (val) | linear eval test | alignment | uniformity |",
      "|---|---|---|---|---|---|",
    ]
    for row in report.pretraining {
      lines.append(
        "| \(StudyFigures.displayName(row.method)) | \(number(row.finalLoss)) | \(percent(row.knnTestAccuracy)) "
          + "(\(row.knnValidationAccuracy.map(percent) ?? "–")) | \(percent(row.linearTestAccuracy)) | "
          + "\(row.alignment.map(number) ?? "–") | \(number(row.uniformity)) |")
    }
    lines += [
      "",
      "Fine-tuned backbone: **\(StudyFigures.displayName(report.backbone))** (best 200-NN accuracy on the validation split).",
      "",
      "## Fine-tuning",
      "",
      "| method | test accuracy | validation accuracy | selected step | alignment | uniformity | 10-NN | linear probe |",
      "|---|---|---|---|---|---|---|---|",
    ]
    for row in report.fineTuning {
      lines.append(
        "| \(StudyFigures.displayName(row.method)) | \(percent(row.testAccuracy)) | \(percent(row.validationAccuracy)) | "
          + "\(row.selectedStep) | \(row.alignment.map(number) ?? "–") | \(number(row.uniformity)) | "
          + "\(row.knnAccuracy.map(percent) ?? "–") | \(row.linearProbeAccuracy.map(percent) ?? "–") |")
    }
    lines += ["", "## Robustness (PGD, robust accuracy)", ""]
    for norm in PerturbationNorm.allCases {
      let rows = report.robustness.filter { $0.norm == norm }
      guard let first = rows.first else { continue }
      lines.append("| \(norm == .linf ? "ℓ∞" : "ℓ2") | clean | " + first.eps.map { "ε \(epsilon($0, norm))" }.joined(separator: " | ") + " | checks |")
      lines.append("|---|---|" + String(repeating: "---|", count: first.eps.count) + "---|")
      for row in rows {
        let verdict =
          row.failedChecks.isEmpty
          ? "\(row.checksPassed)/\(row.checks) passed"
          : "\(row.checksPassed)/\(row.checks) passed; failed: \(row.failedChecks.joined(separator: ", "))"
        lines.append(
          "| \(StudyFigures.displayName(row.method)) | \(percent(row.cleanAccuracy)) | "
            + row.robustAccuracy.map(percent).joined(separator: " | ") + " | \(verdict) |")
      }
      lines.append("")
    }
    lines += ["## Figures", ""]
    for figure in report.figures {
      lines += ["![\(figure.caption)](\(figure.file).png)", "", "*\(figure.caption)* ([PDF](\(figure.file).pdf))", ""]
    }
    lines += ["## Time per stage", "", "| stage | time |", "|---|---|"]
    for stage in report.stages { lines.append("| \(stage.name) | \(duration(stage.seconds)) |") }
    lines.append("| total | \(duration(report.stages.reduce(0) { $0 + $1.seconds })) |")
    return lines.joined(separator: "\n") + "\n"
  }

  static func percent(_ value: Double) -> String { String(format: "%.2f %%", 100 * value) }
  static func number(_ value: Double) -> String { String(format: "%.4f", value) }

  /// Eps as the paper writes it: l-infinity in 1/255 steps, l2 as a decimal.
  static func epsilon(_ value: Double, _ norm: PerturbationNorm) -> String {
    let steps = value * 255
    if norm == .linf && abs(steps - steps.rounded()) < 1e-6 { return "\(Int(steps.rounded()))/255" }
    return String(format: "%g", value)
  }

  static func duration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    return whole >= 60 ? "\(whole / 60) min \(whole % 60) s" : "\(whole) s"
  }
}
