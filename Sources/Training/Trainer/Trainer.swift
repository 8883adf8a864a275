import Datasets
import Dispatch
import Engine
import RunFormat

/// The training loop every method shares: seeded batches, the learning-rate schedule,
/// one optimizer step per batch, logging, feature snapshots and checkpoints.
///
/// Every random draw derives from the seed and the step (batches from `(seed, epoch,
/// batch)`, the model from `(seed, .initialization)`), so a run resumed from a
/// checkpoint reaches bit-identical weights to one never interrupted, for the same
/// thread count.
///
/// ```swift
/// let trainer = try Trainer(configuration: config, train: trainSet, heldOut: testSet, threads: ThreadCount(2))
/// let summary = try trainer.train(writer: try RunWriter.create(at: "runs/simclr", configuration: config))
/// ```
public final class Trainer {
  public let configuration: RunConfiguration
  public let model: ContrastiveModel
  public let optimizer: any Optimizer
  public let method: any ContrastiveMethod
  public let schedule: LearningRateSchedule
  /// Optimizer steps done.
  public private(set) var step = 0
  private let loader: BatchLoader
  private let heldOut: ImageSet?
  private let recipe: AugmentationRecipe
  private let threads: ThreadCount
  private var lastCheckpointStep: Int?

  /// A fresh run of `configuration` on `train`; feature snapshots of `heldOut`.
  public init(configuration: RunConfiguration, train: ImageSet, heldOut: ImageSet?, threads: ThreadCount)
    throws(TrainingSetup.InvalidConfiguration)
  {
    self.configuration = configuration
    model = TrainingSetup.model(configuration)
    optimizer = try TrainingSetup.optimizer(configuration, model: model)
    method = try TrainingSetup.method(configuration)
    recipe = try TrainingSetup.recipe(configuration)
    schedule = try TrainingSetup.schedule(configuration)
    let shape = configuration.data.imageShape
    guard shape == [train.channels, train.height, train.width] else {
      throw TrainingSetup.InvalidConfiguration(
        description: "the training images are \([train.channels, train.height, train.width]), the run expects \(shape)")
    }
    loader = BatchLoader(
      images: train, batchSize: configuration.optimization.batchSize, views: method.views,
      transform: recipe.transform(height: train.height, width: train.width, normalization: nil), shuffle: true,
      dropLast: true, seed: configuration.seed, threads: ThreadCount(1))
    guard loader.batchesPerEpoch == configuration.optimization.stepsPerEpoch else {
      throw TrainingSetup.InvalidConfiguration(
        description:
          "\(train.count) training images give \(loader.batchesPerEpoch) batches of \(configuration.optimization.batchSize) per epoch, the run expects \(configuration.optimization.stepsPerEpoch)"
      )
    }
    self.heldOut = heldOut
    self.threads = threads
  }

  /// Continues from `checkpoint` (of this run): model, optimizer state and step.
  public func restore(from checkpoint: Checkpoint) throws(FileError) {
    guard checkpoint.metadata.architecture == configuration.model, checkpoint.metadata.seed == configuration.seed,
      checkpoint.metadata.method == configuration.method
    else {
      throw FileError(checkpoint.path, "belongs to another run (its architecture, seed or method differ from config.json)")
    }
    guard checkpoint.metadata.step <= configuration.optimization.totalSteps else {
      throw FileError(checkpoint.path, "is at step \(checkpoint.metadata.step), past the run's \(configuration.optimization.totalSteps) steps")
    }
    try checkpoint.restoreModel(model)
    try checkpoint.restoreOptimizer(optimizer, model: model)
    step = checkpoint.metadata.step
    lastCheckpointStep = step
  }

  /// Epochs done, fractional.
  public var epoch: Double { Double(step) / Double(configuration.optimization.stepsPerEpoch) }

  /// Trains to the last step of the configuration, writing through `writer` (nil keeps
  /// everything in memory) and reporting to `observers`.
  @discardableResult
  public func train(writer: RunWriter?, observers: [any TrainingObserver] = []) throws -> TrainingSummary {
    let o = configuration.optimization
    let logging = configuration.logging
    let started = DispatchTime.now()
    let firstStep = step
    var lastLogTime = started
    var imagesSinceLog = 0
    var last: (loss: Double, accuracy: Double)?
    var lastKNN: Double?
    try withThreads(threads) {
      while step < o.totalSteps {
        let epochIndex = step / o.stepsPerEpoch
        for batch in loader.batches(epoch: epochIndex, from: step % o.stepsPerEpoch) {
          let learningRate = schedule(step)
          optimizer.learningRate = learningRate
          model.setTraining(true)
          let output = method.step(model: model, batch: batch, step: step)
          let loss = Double(output.loss.scalar)
          guard loss.isFinite else {
            throw TrainingError.nonFinite(
              what: "the loss", step: step + 1, epoch: epoch, lastCheckpointStep: lastCheckpointStep)
          }
          output.loss.backward()
          optimizer.step()
          optimizer.clearGradients()
          step += 1
          imagesSinceLog += batch.count
          last = (loss, output.scores.accuracy)
          let endOfEpoch = step % o.stepsPerEpoch == 0
          let now = DispatchTime.now()
          let report = StepReport(
            step: step, totalSteps: o.totalSteps, epoch: epoch, loss: loss, accuracy: output.scores.accuracy,
            learningRate: Double(learningRate),
            imagesPerSecond: Double((step - firstStep) * o.batchSize) / seconds(from: started, to: now))
          for observer in observers { try observer.stepFinished(report) }

          let completedEpochs = step / o.stepsPerEpoch
          let snapshotDue = endOfEpoch && (completedEpochs % logging.snapshotEvery == 0 || step == o.totalSteps)
          var knn: Double?
          if snapshotDue, let heldOut {
            try requireFiniteParameters()
            let snapshot = FeatureSnapshot(
              model: model, images: heldOut, recipe: recipe, seed: configuration.seed,
              batchSize: max(o.batchSize, 256), threads: threads)
            let tag = RunDirectory.snapshotTag(epoch: completedEpochs)
            try writer?.write(snapshot, tag: tag)
            knn = snapshot.knnAccuracy
            lastKNN = knn
            for observer in observers { try observer.snapshotTaken(snapshot, tag: tag) }
          }
          if step % logging.logEvery == 0 || endOfEpoch {
            let elapsed = seconds(from: lastLogTime, to: now)
            let metrics = MetricsRecord(
              step: step, epoch: epoch, loss: loss, learningRate: Double(learningRate),
              accuracy: output.scores.accuracy, imagesPerSecond: elapsed > 0 ? Double(imagesSinceLog) / elapsed : nil,
              values: knn.map { ["knn_accuracy": $0] } ?? [:])
            let scores = ScoreRecord(
              step: step, epoch: epoch, positive: output.scores.positive, negative: output.scores.negative)
            try writer?.log(metrics, scores)
            for observer in observers { try observer.logged(metrics, scores) }
            lastLogTime = now
            imagesSinceLog = 0
          }
          if let writer, endOfEpoch || step % logging.checkpointEvery == 0 {
            try requireFiniteParameters()
            let metadata = CheckpointMetadata(
              architecture: configuration.model, method: configuration.method, step: step, epoch: epoch,
              seed: configuration.seed, optimizer: o.optimizer)
            try writer.writeCheckpoint(
              model: model, optimizer: optimizer, metadata: metadata,
              keepAs: snapshotDue ? RunDirectory.snapshotTag(epoch: completedEpochs) : nil)
            lastCheckpointStep = step
            for observer in observers { try observer.checkpointSaved(step: step) }
          }
        }
      }
    }
    let elapsed = seconds(from: started, to: DispatchTime.now())
    return TrainingSummary(
      steps: step, epochs: o.epochs, finalLoss: last?.loss, finalAccuracy: last?.accuracy, knnAccuracy: lastKNN,
      seconds: elapsed, imagesPerSecond: elapsed > 0 ? Double((step - firstStep) * o.batchSize) / elapsed : 0)
  }

  /// A checkpoint or snapshot of NaN weights would hide the step that broke the run.
  private func requireFiniteParameters() throws {
    for (name, parameter) in model.namedParameters() where !parameter.value.isFinite {
      throw TrainingError.nonFinite(
        what: "parameter \(name)", step: step, epoch: epoch, lastCheckpointStep: lastCheckpointStep)
    }
  }

  private func seconds(from start: DispatchTime, to end: DispatchTime) -> Double {
    Double(end.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }
}

/// How a training run went.
public struct TrainingSummary: Sendable, Codable {
  public var steps: Int
  public var epochs: Int
  public var finalLoss: Double?
  public var finalAccuracy: Double?
  /// The last snapshot's leave-one-out 10-NN accuracy on the held-out images.
  public var knnAccuracy: Double?
  public var seconds: Double
  /// Images (not views) per second of this session.
  public var imagesPerSecond: Double

  enum CodingKeys: String, CodingKey {
    case steps, epochs, seconds
    case finalLoss = "final_loss"
    case finalAccuracy = "final_accuracy"
    case knnAccuracy = "knn_accuracy"
    case imagesPerSecond = "images_per_second"
  }
}
