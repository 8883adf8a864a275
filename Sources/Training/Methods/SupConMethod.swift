import Datasets
import Engine

/// SimCLR (positives: the other views of the same image) and SupCon (positives: every
/// sample of the same class), both trained with `SupConLoss` on the views of a batch
/// passed through the model together (one forward pass, batch statistics shared across
/// views, as SupContrast's `main_supcon.py` does). In data-parallel training each rank encodes its
/// shard, and its anchors (its own rows) contrast with every rank's rows, gathered with
/// their gradients (`ProcessGroup.gatherRows`): the ranks' mean losses average to the
/// one-process loss of the global batch, at 1/P of its cost on each rank.
public final class SupConMethod: TrainingMethod {
  public let name: String
  public let views: Int
  /// The loss, with its temperatures and contrast mode.
  public let loss: SupConLoss
  /// Whether class labels define the positives.
  public let usesLabels: Bool
  /// Bins of the logged score histograms.
  public let histogramBins: Int
  /// The processes whose shards make the batch.
  public let group: any ProcessGroup

  /// SimCLR (`usesLabels: false`) or SupCon (`usesLabels: true`) with `views` views.
  public init(
    usesLabels: Bool, views: Int, loss: SupConLoss, histogramBins: Int = 40, group: any ProcessGroup = SingleProcess()
  ) {
    precondition(views >= 1 && (views >= 2 || usesLabels), "SupConMethod: SimCLR needs at least two views")
    name = usesLabels ? "supcon" : "simclr"
    self.views = views
    self.loss = loss
    self.usesLabels = usesLabels
    self.histogramBins = histogramBins
    self.group = group
  }

  public func step(model: Network, batch: Batch, rng: inout RandomGenerator) -> MethodStep {
    let local = model.forward(batch.tensor).embeddings
    let b = batch.count
    let labels = group.gatherLabels(batch.labels)
    // This rank's rows first (its anchors), then the other ranks' in rank order; rank r's
    // rows show images r·b ..< (r+1)·b of the gathered labels.
    let blocks = [group.rank] + (0..<group.size).filter { $0 != group.rank }
    let contrast =
      group.size == 1
      ? local
      : group.gatherRows(local).indexSelect(
        alongAxis: 0, blocks.flatMap { ($0 * views * b)..<(($0 + 1) * views * b) })
    let pairs = loss.pairs(
      images: blocks.flatMap { r in (0..<(views * b)).map { r * b + $0 % b } }, batch: labels.count,
      anchorCount: loss.contrastMode == .all ? views * b : b, positives: usesLabels ? .labels(labels) : .instances)
    let scores = PairScores(embeddings: contrast, pairs: pairs, bins: histogramBins)
    return MethodStep(loss: loss.loss(contrast, pairs: pairs), accuracy: scores.accuracy, scores: scores)
  }
}
