import Datasets
import Engine
import Foundation
import RunFormat
import Training

/// A run small enough for tests: the bundled 8x8 digits, a ResNet-18 of width 4.
enum TinyRun {
  static let train: ImageSet = {
    let all = try! DatasetSource(.digits).load(.train)
    return all.subset(all.stratifiedIndices(total: 256, seed: 0))
  }()

  static let heldOut: ImageSet = {
    let all = try! DatasetSource(.digits).load(.test)
    return all.subset(all.stratifiedIndices(total: 60, seed: 0))
  }()

  static func configuration(
    method: String = "simclr", epochs: Int = 3, batchSize: Int = 64, lr: Double = 0.05, optimizer: String = "sgd",
    checkpointEvery: Int = 3
  ) -> RunConfiguration {
    RunConfiguration(
      tool: "clens test", command: "pretrain", method: method, seed: 11, threads: 2,
      data: DataSettings(
        dataset: "digits", dataDirectory: nil, limit: 256, trainCount: 256, evalSplit: "test", evalCount: 60,
        imageShape: [1, 8, 8], classNames: (0..<10).map { "digit \($0)" }, recipe: method, views: 2),
      model: ModelArchitecture(
        encoder: ResNetConfiguration(
          depth: .resnet18, stem: .cifar, width: 4, inChannels: 1, classes: nil, normalization: ([0.3], [0.4])),
        headWidths: [32, 16]),
      optimization: OptimizationSettings(
        optimizer: optimizer, epochs: epochs, batchSize: batchSize, stepsPerEpoch: 256 / batchSize, learningRate: lr,
        momentum: 0.9, weightDecay: 1e-4, excludeNormAndBias: optimizer == "lars", warmupEpochs: 0, warmupFrom: 0.01,
        schedule: "cosine-step", minimumLearningRate: lr * 1e-3),
      loss: LossSettings(
        temperature: method == "simclr" ? 0.5 : 0.1, baseTemperature: 0.07, contrastMode: "all",
        usesLabels: method == "supcon"),
      logging: LoggingSettings(logEvery: 2, snapshotEvery: 1, checkpointEvery: checkpointEvery, histogramBins: 20))
  }

  static func trainer(_ configuration: RunConfiguration) throws -> Trainer {
    try Trainer(
      configuration: configuration, data: TrainingData.Splits(train: train, heldOut: heldOut), threads: ThreadCount(2))
  }

  /// Every parameter and buffer, by name.
  static func state(_ model: Network) -> [String: [Float]] {
    model.stateDict().mapValues { $0.floats() }
  }
}

/// Stops a run at a chosen step, as a kill would (nothing of that step after the
/// observer is written).
final class StopAt: TrainingObserver {
  struct Stopped: Error {}
  let step: Int
  init(step: Int) { self.step = step }
  func stepFinished(_ report: StepReport) throws { if report.step == step { throw Stopped() } }
}
