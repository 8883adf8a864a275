import Datasets
import Dispatch
import Engine
import RunFormat

/// The training loop every method shares: seeded batches, the learning-rate schedule,
/// one optimizer step per `accumulation` mini-batches, logging, validation, feature
/// snapshots and checkpoints.
///
/// Every random draw derives from the seed and the step (batches from `(seed, epoch,
/// batch)`, a method's draws from `(seed, step, mini-batch)`, the model from
/// `(seed, .initialization)`), so a run resumed from a checkpoint reaches bit-identical
/// weights to one never interrupted, for the same thread count.
///
/// Data-parallel (`group` of P processes): every rank takes its shard of each global
/// batch (`BatchLoader.Shard`), the ranks' gradients are combined in one all-reduce per
/// step (`GradientReduction`), the logged numbers are those of the global batch, and
/// rank 0 alone evaluates, snapshots and writes (pass the writer and observers there).
/// Parameters are compared across ranks at every logged step.
///
/// ```swift
/// let trainer = try Trainer(configuration: config, data: data, threads: ThreadCount(2))
/// let summary = try trainer.train(writer: try RunWriter.create(at: "runs/simclr", configuration: config))
/// ```
public final class Trainer {
  public let configuration: RunConfiguration
  public let model: Network
  public let optimizer: any Optimizer
  public let method: any TrainingMethod
  public let schedule: LearningRateSchedule
  /// Optimizer steps done.
  public private(set) var step = 0
  /// The best validation accuracy so far (fine-tuning), and the step it was reached at.
  public private(set) var bestValidation: (accuracy: Double, step: Int)?
  private let loader: BatchLoader
  private let data: TrainingData.Splits
  private let recipe: AugmentationRecipe
  private let threads: ThreadCount
  private let accumulation: Int
  private let adversary: AdversarialTraining?
  private var lastCheckpointStep: Int?
  /// The processes training together; a `SingleProcess` outside `mpirun`.
  public let group: any ProcessGroup

  /// A fresh run of `configuration` on `data`, by this process alone or as one rank of
  /// `group` (with `synchronizedBatchNorm`, batch statistics span every rank's shard).
  public init(
    configuration: RunConfiguration, data: TrainingData.Splits, threads: ThreadCount,
    group: any ProcessGroup = SingleProcess(), synchronizedBatchNorm: Bool = false
  ) throws(TrainingSetup.InvalidConfiguration) {
    self.configuration = configuration
    self.group = group
    guard configuration.optimization.batchSize % group.size == 0 else {
      throw TrainingSetup.InvalidConfiguration(
        description: "the batch of \(configuration.optimization.batchSize) does not split into \(group.size) equal parts, one per rank")
    }
    model = TrainingSetup.model(configuration)
    if synchronizedBatchNorm && group.size > 1 { model.synchronizeBatchNorm(SynchronizedBatchNorm(group)) }
    optimizer = try TrainingSetup.optimizer(configuration, model: model)
    method = try TrainingSetup.method(configuration, group: group)
    recipe = try TrainingSetup.recipe(configuration)
    schedule = try TrainingSetup.schedule(configuration)
    accumulation = configuration.fineTuning?.accumulationSteps ?? 1
    adversary = try configuration.fineTuning?.adversarial.map { settings throws(TrainingSetup.InvalidConfiguration) in
      try AdversarialTraining(settings)
    }
    let train = data.train
    let shape = configuration.data.imageShape
    guard shape == [train.channels, train.height, train.width] else {
      throw TrainingSetup.InvalidConfiguration(
        description: "the training images are \([train.channels, train.height, train.width]), the run expects \(shape)")
    }
    loader = BatchLoader(
      images: train, batchSize: configuration.optimization.batchSize, views: method.views,
      transform: recipe.transform(height: train.height, width: train.width, normalization: nil), shuffle: true,
      dropLast: true, seed: configuration.seed, threads: ThreadCount(1),
      shard: BatchLoader.Shard(index: group.rank, count: group.size))
    guard loader.batchesPerEpoch / accumulation == configuration.optimization.stepsPerEpoch else {
      throw TrainingSetup.InvalidConfiguration(
        description:
          "\(train.count) training images give \(loader.batchesPerEpoch / accumulation) steps of \(accumulation) x \(configuration.optimization.batchSize) per epoch, the run expects \(configuration.optimization.stepsPerEpoch)"
      )
    }
    self.data = data
    self.threads = threads
  }

  /// Starts fine-tuning from `backbone`'s encoder weights (a fresh run only; a resumed run
  /// restores everything from its checkpoint).
  public func load(_ backbone: Backbone) throws(FileError) {
    precondition(step == 0, "Trainer.load(_:): the run has already started")
    try backbone.load(into: model.encoder)
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
    try checkpoint.restoreMethod(method)
    step = checkpoint.metadata.step
    bestValidation = checkpoint.metadata.bestValidationAccuracy.map { ($0, checkpoint.metadata.bestValidationStep ?? 0) }
    lastCheckpointStep = step
  }

  /// Epochs done, fractional.
  public var epoch: Double { Double(step) / Double(configuration.optimization.stepsPerEpoch) }

  /// Trains to the last step of the configuration, writing through `writer` (nil keeps
  /// everything in memory) and reporting to `observers`.
  @discardableResult
  public func train(writer: RunWriter?, observers: [any TrainingObserver] = []) throws -> TrainingSummary {
    let o = configuration.optimization
    let started = DispatchTime.now()
    let firstStep = step
    var clock = (time: started, images: 0)
    var last: (loss: Double, accuracy: Double)?
    var lastSnapshot: FeatureSnapshot?
    try withThreads(threads) {
      while step < o.totalSteps {
        method.willStart(epoch: step / o.stepsPerEpoch)
        let batches = loader.batches(epoch: step / o.stepsPerEpoch, from: (step % o.stepsPerEpoch) * accumulation)
        while step < o.totalSteps {
          let learningRate = schedule(step)
          optimizer.learningRate = learningRate
          model.setTraining(true)
          var losses = [Double]()
          var accuracies = [Double]()
          var parts = [String: Double]()
          var stepValues = [String: Double]()
          var scores: PairScores?
          var reduction = GradientReduction.mean
          for micro in 0..<accumulation {
            guard let batch = batches.next() else {
              preconditionFailure("Trainer: the epoch ran out of batches")
            }
            let draws = RandomGenerator(seed: configuration.seed).stream(.step).stream(UInt64(step)).stream(UInt64(micro))
            var rng = draws.stream(0)
            var attackRNG = draws.stream(1)
            let input = adversary.map { $0.perturb(batch, model: model, rng: &attackRNG) } ?? batch
            let output = method.step(model: model, batch: input, rng: &rng)
            let loss = Double(output.loss.scalar)
            guard loss.isFinite else {
              throw TrainingError.nonFinite(
                what: "the loss", step: step + 1, epoch: epoch, lastCheckpointStep: lastCheckpointStep)
            }
            (accumulation == 1 ? output.loss : output.loss * (1 / Float(accumulation))).backward()
            losses.append(loss)
            accuracies.append(output.accuracy)
            for (name, value) in output.lossParts { parts[name, default: 0] += value / Double(accumulation) }
            for (name, value) in output.values { stepValues[name, default: 0] += value / Double(accumulation) }
            scores = output.scores ?? scores
            reduction = output.reduction
            clock.images += batch.count * group.size
          }
          group.reduceGradients(of: model.parameters(), scale: reduction == .sum ? 1 : 1 / Float(group.size))
          optimizer.step()
          optimizer.clearGradients()
          method.didUpdate(model: model)
          step += 1
          let endOfEpoch = step % o.stepsPerEpoch == 0
          let logDue = step % configuration.logging.logEvery == 0 || endOfEpoch
          var numbers = StepNumbers(
            loss: losses.reduce(0, +) / Double(accumulation), accuracy: accuracies.reduce(0, +) / Double(accumulation),
            parts: parts, values: stepValues,
            scores: logDue ? scores.map { scoreRecord($0, step: step) } : nil)
          if reduction == .mean { numbers = group.combine(numbers) }
          if logDue, case let diverging = group.ranksDiverging(from: model.parameters()), !diverging.isEmpty {
            throw TrainingError.ranksDiverged(ranks: diverging, step: step)
          }
          let (loss, accuracy) = (numbers.loss, numbers.accuracy)
          last = (loss, accuracy)
          let now = DispatchTime.now()
          let report = StepReport(
            step: step, totalSteps: o.totalSteps, epoch: epoch, loss: loss, accuracy: accuracy,
            learningRate: Double(learningRate),
            imagesPerSecond: Double((step - firstStep) * o.batchSize * accumulation) / seconds(from: started, to: now))
          for observer in observers { try observer.stepFinished(report) }

          var evaluation = numbers.values
          var improved = false
          let completedEpochs = step / o.stepsPerEpoch
          let snapshotDue =
            endOfEpoch && (completedEpochs % configuration.logging.snapshotEvery == 0 || step == o.totalSteps)
          if endOfEpoch, group.rank == 0, let validation = data.validation, model.classifier != nil {
            try requireFiniteParameters()
            let result = ClassifierEvaluation(model: model, images: validation, batchSize: max(o.batchSize, 256))
            evaluation["val_accuracy"] = result.accuracy
            evaluation["val_loss"] = result.loss
            if result.accuracy > bestValidation?.accuracy ?? -1 {
              bestValidation = (result.accuracy, step)
              improved = true
            }
          }
          if snapshotDue, group.rank == 0, let heldOut = data.heldOut {
            try requireFiniteParameters()
            let snapshot = FeatureSnapshot(
              model: model, images: heldOut, recipe: recipe, seed: configuration.seed,
              batchSize: max(o.batchSize, 256), threads: threads)
            let tag = RunDirectory.snapshotTag(epoch: completedEpochs)
            try writer?.write(snapshot, tag: tag)
            evaluation["knn_accuracy"] = snapshot.knnAccuracy
            evaluation["test_accuracy"] = snapshot.accuracy
            lastSnapshot = snapshot
            for observer in observers { try observer.snapshotTaken(snapshot, tag: tag) }
          }
          if logDue {
            let elapsed = seconds(from: clock.time, to: now)
            let metrics = MetricsRecord(
              step: step, epoch: epoch, loss: loss, learningRate: Double(learningRate), accuracy: accuracy,
              imagesPerSecond: elapsed > 0 ? Double(clock.images) / elapsed : nil, lossParts: numbers.parts,
              values: evaluation)
            let scoreRecord = numbers.scores
            try writer?.log(metrics, scoreRecord)
            for observer in observers { try observer.logged(metrics, scoreRecord) }
            clock = (now, 0)
          }
          if let writer, endOfEpoch || step % configuration.logging.checkpointEvery == 0 {
            try requireFiniteParameters()
            var kept = [String]()
            if snapshotDue { kept.append(RunDirectory.snapshotTag(epoch: completedEpochs)) }
            if improved { kept.append("best") }
            try writer.writeCheckpoint(
              model: model, optimizer: optimizer, method: method, metadata: metadata(), keepAs: kept)
            lastCheckpointStep = step
            for observer in observers { try observer.checkpointSaved(step: step) }
          }
          if endOfEpoch { break }
        }
      }
    }
    let elapsed = seconds(from: started, to: DispatchTime.now())
    return TrainingSummary(
      steps: step, epochs: o.epochs, finalLoss: last?.loss, finalAccuracy: last?.accuracy,
      knnAccuracy: lastSnapshot?.knnAccuracy, testAccuracy: lastSnapshot?.accuracy,
      bestValidationAccuracy: bestValidation?.accuracy, bestValidationStep: bestValidation?.step, seconds: elapsed,
      imagesPerSecond: elapsed > 0 ? Double((step - firstStep) * o.batchSize * accumulation) / elapsed : 0)
  }

  /// The line of `scores.jsonl` for `scores` at `step`.
  private func scoreRecord(_ scores: PairScores, step: Int) -> ScoreRecord {
    ScoreRecord(
      step: step, epoch: Double(step) / Double(configuration.optimization.stepsPerEpoch), positive: scores.positive,
      negative: scores.negative, positiveUntransformed: scores.untransformed?.positive,
      negativeUntransformed: scores.untransformed?.negative, expPositiveMean: scores.expMeans?.positive,
      expNegativeMean: scores.expMeans?.negative, exits: scores.exits)
  }

  /// What a checkpoint of the current state says about itself.
  private func metadata() -> CheckpointMetadata {
    var metadata = CheckpointMetadata(
      architecture: configuration.model, method: configuration.method, step: step, epoch: epoch,
      seed: configuration.seed, optimizer: configuration.optimization.optimizer)
    metadata.bestValidationAccuracy = bestValidation?.accuracy
    metadata.bestValidationStep = bestValidation?.step
    return metadata
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
  /// The last snapshot's classifier accuracy on the held-out (test) images.
  public var testAccuracy: Double?
  /// The best validation accuracy and its step (fine-tuning; `checkpoints/best`).
  public var bestValidationAccuracy: Double?
  public var bestValidationStep: Int?
  public var seconds: Double
  /// Images (not views) per second of this session.
  public var imagesPerSecond: Double

  enum CodingKeys: String, CodingKey {
    case steps, epochs, seconds
    case finalLoss = "final_loss"
    case finalAccuracy = "final_accuracy"
    case knnAccuracy = "knn_accuracy"
    case testAccuracy = "test_accuracy"
    case bestValidationAccuracy = "best_val_accuracy"
    case bestValidationStep = "best_val_step"
    case imagesPerSecond = "images_per_second"
  }
}
