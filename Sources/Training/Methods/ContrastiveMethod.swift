import Datasets
import Engine

/// A contrastive pre-training method: what one training step computes from a batch.
/// The trainer owns everything else (loop, optimizer, schedule, logging, checkpoints).
public protocol ContrastiveMethod: AnyObject {
  /// The method's command-line name ("simclr").
  var name: String { get }
  /// Views of each image a batch holds (view-major, as `BatchLoader` makes them).
  var views: Int { get }
  /// The loss of `batch` on the tape, with the numbers a run logs about the step.
  func step(model: ContrastiveModel, batch: Batch, step: Int) -> MethodStep
}

/// What one step of a method produced.
public struct MethodStep {
  /// The loss to differentiate.
  public var loss: Tensor
  /// Named parts of the loss, logged as `loss_<name>` (empty when there is one part).
  public var lossParts: [String: Double]
  /// Positive and negative pair scores, and the contrastive accuracy.
  public var scores: PairScores

  public init(loss: Tensor, lossParts: [String: Double] = [:], scores: PairScores) {
    self.loss = loss
    self.lossParts = lossParts
    self.scores = scores
  }
}

extension Batch {
  /// The batch's pixels as an NCHW tensor of `views · count` images.
  public var tensor: Tensor { Tensor(shape: shape, scalars: pixels) }
}
