import Datasets
import Engine

/// SimCLR (positives: the other views of the same image) and SupCon (positives: every
/// sample of the same class), both trained with `SupConLoss` on the views of a batch
/// passed through the model together (one forward pass, batch statistics shared across
/// views, as SupContrast's `main_supcon.py` does). In data-parallel training each rank encodes its
/// shard and the loss runs over the gathered global batch (`ProcessGroup.gatherViews`).
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
    let embeddings = group.gatherViews(model.forward(batch.tensor).embeddings, views: views)
    let labels = group.gatherLabels(batch.labels)
    let pairs = loss.pairs(batch: labels.count, views: views, positives: usesLabels ? .labels(labels) : .instances)
    let scores = PairScores(embeddings: embeddings, pairs: pairs, bins: histogramBins)
    return MethodStep(
      loss: loss.loss(embeddings, pairs: pairs), accuracy: scores.accuracy, scores: scores, reduction: .sum)
  }
}
