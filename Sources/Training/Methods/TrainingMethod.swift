import Datasets
import Engine

/// A training method: what one step computes from a batch (the loss on the tape, and the
/// numbers a run logs about it). The trainer owns everything else: loop, optimizer,
/// schedule, logging, evaluation and checkpoints.
public protocol TrainingMethod: AnyObject {
  /// The method's command-line name ("simclr", "core").
  var name: String { get }
  /// Views of each image a batch holds (view-major, as `BatchLoader` makes them).
  var views: Int { get }
  /// The loss of `batch` (from the step's random stream `rng`), with what to log.
  func step(model: Network, batch: Batch, rng: inout RandomGenerator) -> MethodStep
}

/// What one step of a method produced.
public struct MethodStep {
  /// The loss to differentiate.
  public var loss: Tensor
  /// Named parts of the loss, logged as `loss_<name>` (empty when there is one part).
  public var lossParts: [String: Double]
  /// The step's accuracy: contrastive (pre-training) or classification (fine-tuning).
  public var accuracy: Double
  /// Positive and negative pair scores, for methods with a contrastive term.
  public var scores: PairScores?

  public init(loss: Tensor, lossParts: [String: Double] = [:], accuracy: Double, scores: PairScores? = nil) {
    self.loss = loss
    self.lossParts = lossParts
    self.accuracy = accuracy
    self.scores = scores
  }
}

extension Batch {
  /// The batch's pixels as an NCHW tensor of `views · count` images.
  public var tensor: Tensor { Tensor(shape: shape, scalars: pixels) }
}
