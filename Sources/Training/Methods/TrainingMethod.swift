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
  /// Before the first step of each epoch, and of the epoch a resumed run continues
  /// (MoCo switches Feature Transformation on at its start epoch).
  func willStart(epoch: Int)
  /// After each optimizer update (MoCo moves its key encoder and its queue here).
  func didUpdate(model: Network)
  /// What the method keeps between steps (key encoder, queue), saved with checkpoints
  /// under `method.`; empty for stateless methods.
  func stateDict() -> [String: SafeTensor]
  /// Restores a state saved by `stateDict()`.
  func loadStateDict(_ state: [String: SafeTensor]) throws(StateDictError)
}

extension TrainingMethod {
  public func willStart(epoch: Int) {}
  public func didUpdate(model: Network) {}
  public func stateDict() -> [String: SafeTensor] { [:] }
  public func loadStateDict(_ state: [String: SafeTensor]) throws(StateDictError) {
    guard state.isEmpty else {
      throw StateDictError(missing: [], unexpected: state.keys.sorted(), mismatched: [], nonFinite: [])
    }
  }
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
  /// Other numbers the run logs with the step (FNC's detection statistics).
  public var values: [String: Double]
  /// How the ranks' gradients of `loss` combine in data-parallel training.
  public var reduction: GradientReduction

  public init(
    loss: Tensor, lossParts: [String: Double] = [:], accuracy: Double, scores: PairScores? = nil,
    values: [String: Double] = [:], reduction: GradientReduction = .mean
  ) {
    self.loss = loss
    self.reduction = reduction
    self.lossParts = lossParts
    self.accuracy = accuracy
    self.scores = scores
    self.values = values
  }
}

/// How the ranks' gradients combine in data-parallel training (one process: either is
/// the plain gradient).
public enum GradientReduction: Sendable {
  /// Each rank's loss is a mean over its own shard, and so are its numbers: gradients
  /// and logged numbers are averaged over the ranks (DistributedDataParallel's rule).
  case mean
  /// Every rank computes the loss of the whole gathered batch, with gradients through
  /// its own rows only (`ProcessGroup.gatherViews`): gradients are summed, and every
  /// rank already holds the global numbers.
  case sum
}

extension Batch {
  /// The batch's pixels as an NCHW tensor of `views · count` images.
  public var tensor: Tensor { Tensor(shape: shape, scalars: pixels) }
}
