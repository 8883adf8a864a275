import ArgumentParser
import Engine
import Training

extension TrainingSchedule: ExpressibleByArgument {}

/// Optimizer, schedule, batch and logging options of the training commands. Unset
/// options take defaults scaled to the dataset and method (each `--help` line says which).
struct TrainingOptions: ParsableArguments {
  @Option(help: "Epochs (passes over the training images). (default: 5)")
  var epochs: Int?

  @Option(help: "Images per step (in pretrain each contributes --views views). (default: pretrain 256, finetune 64; the training set's size if smaller)")
  var batchSize: Int?

  @Option(
    help:
      "Peak learning rate. (default: pretrain 0.25 at batch 1024, scaled linearly: 0.0625 at batch 256, half SupContrast's rate, which without its long warm-up collapsed short runs; finetune 0.01, Core-tuning's)"
  )
  var lr: Double?

  @Option(
    help:
      "Schedule: cosine-step (a cosine over steps, SimCLR's) or cosine-epoch (SupContrast's per-epoch cosine, whose last epoch runs at the floor). Both end at lr/1000. (default: cosine-step)"
  )
  var schedule: TrainingSchedule?

  @Option(help: "Optimizer: sgd (momentum 0.9, as SupContrast) or lars (SimCLR's, BatchNorm and biases excluded). (default: sgd)")
  var optimizer: OptimizerKind?

  @Option(help: "Momentum. (default: 0.9)")
  var momentum: Double?

  @Option(help: "Weight decay. (default: 1e-4)")
  var weightDecay: Double?

  @Option(
    help:
      "Linear warm-up epochs before the cosine, per step from 0.01 to the cosine's value (SupContrast's). (default: 0 up to batch 256, else a tenth of the epochs, at most 10)"
  )
  var warmupEpochs: Int?

  @Option(help: "A metrics.jsonl and scores.jsonl record every this many steps (and at every epoch end). (default: 10)")
  var logEvery: Int?

  @Option(help: "Held-out feature snapshots (features/epoch-<k>.npy) every this many epochs, and after the last. (default: 1)")
  var snapshotEvery: Int?

  @Option(help: "checkpoints/last.safetensors every this many steps, and at every epoch end. (default: 100)")
  var checkpointEvery: Int?

  @Option(help: "Held-out images in each snapshot: a seeded, class-stratified sample. (default: the whole test split)")
  var evalLimit: Int?

  func validate() throws {
    for (name, value) in [
      ("--epochs", epochs), ("--batch-size", batchSize), ("--warmup-epochs", warmupEpochs.map { $0 + 1 }),
      ("--log-every", logEvery), ("--snapshot-every", snapshotEvery), ("--checkpoint-every", checkpointEvery),
      ("--eval-limit", evalLimit),
    ] {
      if let value, value < 1 { throw ValidationError("\(name) must be at least \(name == "--warmup-epochs" ? 0 : 1)") }
    }
    try requirePositiveNumbers([("--lr", lr)])
    if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
    if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) {
      throw ValidationError("--weight-decay must be ≥ 0, got \(weightDecay)")
    }
    if let warmupEpochs, let epochs, warmupEpochs >= epochs {
      throw ValidationError("--warmup-epochs (\(warmupEpochs)) must be fewer than --epochs (\(epochs))")
    }
  }

  /// Whether any option was given (a resumed run takes its settings from config.json).
  var isCustomized: Bool {
    epochs != nil || batchSize != nil || lr != nil || schedule != nil || optimizer != nil || momentum != nil || weightDecay != nil
      || warmupEpochs != nil || logEvery != nil || snapshotEvery != nil || checkpointEvery != nil || evalLimit != nil
  }
}

/// The optimizers training can use.
enum OptimizerKind: String, ExpressibleByArgument, CaseIterable {
  case sgd
  case lars
}
