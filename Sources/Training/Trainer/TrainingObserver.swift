import RunFormat

/// What the trainer reports after every step (the command line draws its progress bar
/// from it).
public struct StepReport: Sendable {
  /// Optimizer steps done.
  public var step: Int
  /// Steps of the whole run.
  public var totalSteps: Int
  /// Epochs done, fractional.
  public var epoch: Double
  /// The step's loss.
  public var loss: Double
  /// The step's contrastive accuracy.
  public var accuracy: Double
  /// The learning rate of the step.
  public var learningRate: Double
  /// Images (not views) per second since the run (or its resumption) started.
  public var imagesPerSecond: Double
}

/// Follows a training run as it goes: progress bars, tests that stop a run at a chosen
/// moment. The trainer itself never prints. A method that throws stops the run there,
/// as a kill would.
public protocol TrainingObserver: AnyObject {
  /// After every optimizer step.
  func stepFinished(_ report: StepReport) throws
  /// After a logged step's records were written (scores for methods that have them).
  func logged(_ metrics: MetricsRecord, _ scores: ScoreRecord?) throws
  /// After a feature snapshot was taken (and written).
  func snapshotTaken(_ snapshot: FeatureSnapshot, tag: String) throws
  /// After a checkpoint was written.
  func checkpointSaved(step: Int) throws
}

extension TrainingObserver {
  public func stepFinished(_ report: StepReport) throws {}
  public func logged(_ metrics: MetricsRecord, _ scores: ScoreRecord?) throws {}
  public func snapshotTaken(_ snapshot: FeatureSnapshot, tag: String) throws {}
  public func checkpointSaved(step: Int) throws {}
}
