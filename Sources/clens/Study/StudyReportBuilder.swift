import Engine
import Foundation
import RunFormat

/// Reads a finished study's run directories into its `StudyReport`: every number comes
/// from a file the commands wrote.
struct StudyReportBuilder {
  let configuration: StudyConfiguration
  let layout: StudyLayout

  /// The pre-training method whose encoder has the best weighted-kNN accuracy on the
  /// validation split (knn-eval; the test split never selects anything), the first on ties.
  static func bestBackbone(_ methods: [String], layout: StudyLayout) throws -> String {
    var best: (method: String, accuracy: Double)?
    for method in methods {
      let run = RunDirectory(unchecked: layout.pretraining(method))
      let report = try JSONInput.read(KNNEvalReport.self, from: run.knnEvalReportFile)
      guard let accuracy = report.validationAccuracy else {
        throw FileError(run.knnEvalReportFile, "has no validation accuracy to select a backbone with")
      }
      if accuracy > best?.accuracy ?? -1 { best = (method, accuracy) }
    }
    guard let best else { throw FileError(layout.root, "no pre-training run to fine-tune") }
    return best.method
  }

  func build(tool: String, threads: Int, stages: [StudyReport.Stage], figures: [StudyReport.Figure]) throws -> StudyReport {
    StudyReport(
      configuration: configuration, tool: tool, threads: threads,
      pretraining: try configuration.methods.map(pretraining),
      backbone: try Self.bestBackbone(configuration.methods, layout: layout),
      fineTuning: try StudyPlan.fineTuningMethods.map(fineTuning),
      robustness: try StudyPlan.fineTuningMethods.flatMap { method in
        try PerturbationNorm.allCases.map { try robustness(method, norm: $0) }
      },
      stages: stages, figures: figures)
  }

  private func pretraining(_ method: String) throws -> StudyReport.Pretraining {
    let run = try RunDirectory(layout.pretraining(method))
    let metrics = try run.metricsFile.read().records
    guard let last = metrics.max(by: { $0.step < $1.step }) else { throw FileError(run.metricsFile.path, "has no records") }
    let knn = try JSONInput.read(KNNEvalReport.self, from: run.knnEvalReportFile)
    let linear = try JSONInput.read(LinearEvalReport.self, from: run.linearEvalReportFile)
    let geometry = try alignUniform(run)
    return StudyReport.Pretraining(
      method: method, run: run.name, finalLoss: last.loss, knnTestAccuracy: knn.testAccuracy,
      knnValidationAccuracy: knn.validationAccuracy, linearTestAccuracy: linear.selectedTestAccuracy,
      alignment: geometry.alignment, uniformity: geometry.uniformity)
  }

  private func fineTuning(_ method: String) throws -> StudyReport.FineTuning {
    let run = try RunDirectory(layout.fineTuning(method))
    let metrics = try run.metricsFile.read().records
    // The trainer keeps the first epoch with the highest validation accuracy.
    var selected: MetricsRecord?
    for record in metrics.sorted(by: { $0.step < $1.step }) {
      if let accuracy = record.values["val_accuracy"], accuracy > selected?.values["val_accuracy"] ?? -1 { selected = record }
    }
    guard let selected, let validation = selected.values["val_accuracy"], let test = selected.values["test_accuracy"] else {
      throw FileError(run.metricsFile.path, "has no epoch with both validation and test accuracy")
    }
    let geometry = try alignUniform(run)
    return StudyReport.FineTuning(
      method: method, run: run.name, testAccuracy: test, validationAccuracy: validation, selectedStep: selected.step,
      alignment: geometry.alignment, uniformity: geometry.uniformity, knnAccuracy: geometry.knnAccuracy,
      linearProbeAccuracy: geometry.linearProbeAccuracy)
  }

  /// The alignment/uniformity report of the run's newest snapshot.
  private func alignUniform(_ run: RunDirectory) throws -> AlignUniformReport {
    let tag = try run.chooseTag(nil, from: run.alignUniformTags, what: "alignment/uniformity report")
    guard let report = try run.alignUniformReport(tag) else {
      throw FileError(run.alignUniformReportFile(tag), "no such report")
    }
    return report
  }

  private func robustness(_ method: String, norm: PerturbationNorm) throws -> StudyReport.Robustness {
    let run = try RunDirectory(layout.fineTuning(method))
    let report = try RunFiles.readRobustness(run.robustnessReportFile(norm))
    let failed = report.failedErrors + report.failedWarnings
    return StudyReport.Robustness(
      method: method, norm: norm, images: report.n, cleanAccuracy: report.cleanAccuracy, eps: report.eps,
      robustAccuracy: report.robustAccuracy, checksPassed: report.sanityChecks.filter(\.passed).count,
      checks: report.sanityChecks.count, failedChecks: failed.map(\.name))
  }
}
