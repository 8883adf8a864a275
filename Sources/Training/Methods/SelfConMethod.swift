import Datasets
import Engine
import RunFormat

/// SelfCon (Bae et al., AAAI 2023; shared/spec/methods.md §3): supervised contrast from a
/// single view, the sub-network exit's embedding standing in for a second view. The
/// embeddings of every exit (sub-exit first, backbone last) go through `SupConLoss` as
/// views, so an anchor's positives are the same image's other exit and every same-class
/// sample at every exit (SelfCon); without labels only the other exit (SelfCon-SU).
/// Every anchor has its other exit as a positive, so no row needs the no-positive guard.
/// Scores are logged over all anchors and per exit (each exit's anchors against every
/// embedding).
public final class SelfConMethod: TrainingMethod {
  public let name: String
  public let views = 1
  public let loss: SupConLoss
  public let usesLabels: Bool
  public let histogramBins: Int

  public init(usesLabels: Bool, loss: SupConLoss, histogramBins: Int = 40) {
    name = usesLabels ? "selfcon" : "selfcon-su"
    self.usesLabels = usesLabels
    self.loss = loss
    self.histogramBins = histogramBins
  }

  /// The loss over unit exit embeddings (each [B, d], sub-exits first), the rows the
  /// loss contrasts (exit-major) and their positive pairs.
  public func loss(exits: [Tensor], labels: [Int]) -> (loss: Tensor, embeddings: Tensor, pairs: SupConLoss.PairMask) {
    let embeddings = Tensor.concatenate(exits, alongAxis: 0)
    let pairs = loss.pairs(batch: labels.count, views: exits.count, positives: usesLabels ? .labels(labels) : .instances)
    return (loss.loss(embeddings, pairs: pairs), embeddings, pairs)
  }

  public func step(model: Network, batch: Batch, rng: inout RandomGenerator) -> MethodStep {
    let exits = model.forwardExits(batch.tensor).embeddings
    let (value, embeddings, pairs) = loss(exits: exits, labels: batch.labels)
    var scores = PairScores(embeddings: embeddings, pairs: pairs, bins: histogramBins)
    let b = batch.count
    scores.exits = exits.indices.map { e in
      let exit = PairScores(
        anchors: exits[e], contrast: embeddings, anchorOffset: e * b, bins: histogramBins
      ) { pairs.isPositive(e * b + $0, $1) }
      return ExitScores(exit: e == exits.count - 1 ? "backbone" : "sub", positive: exit.positive, negative: exit.negative)
    }
    return MethodStep(loss: value, accuracy: scores.accuracy, scores: scores)
  }
}
