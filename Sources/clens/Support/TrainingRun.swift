import Engine
import Foundation
import RunFormat
import Training

/// The training progress bar: steps, loss, accuracy (contrastive or classification), images/s and ETA.
final class TrainingProgress: TrainingObserver {
  private let bar: ProgressBar

  init(label: String, initial: Int, total: Int, quiet: Bool) {
    bar = ProgressBar(label, unit: "step", quiet: quiet, initial: initial)
  }

  func stepFinished(_ report: StepReport) throws {
    bar.update(
      report.step, of: report.totalSteps,
      detail: String(format: "epoch %.2f loss %.4f acc %.3f ", report.epoch, report.loss, report.accuracy)
        + "\(ProgressBar.format(rate: report.imagesPerSecond)) img/s")
  }
}
