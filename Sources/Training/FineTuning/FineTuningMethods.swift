import Datasets
import Engine

/// CE-tuning: cross-entropy of the classifier on the encoder's features of one view.
public final class CrossEntropyTuning: TrainingMethod {
  public let name = "ce"
  public let views = 1

  public init() {}

  public func step(model: Network, batch: Batch, rng: inout RandomGenerator) -> MethodStep {
    let logits = model(batch.tensor)
    return MethodStep(loss: logits.crossEntropy(labels: batch.labels), accuracy: accuracy(logits, batch.labels))
  }
}

/// Core-tuning (shared/spec/methods.md §1.5): soft-label cross-entropy of the classifier
/// on the 3B original and generated rows (`HardPairMixing`) plus η times the focal
/// supervised contrastive loss of the projection head on the same rows. Logs the two
/// parts (`loss_ce`, `loss_con`), the accuracy of the original rows and the head's pair
/// scores (positives: rows with equal soft labels).
public final class CoreTuning: TrainingMethod {
  public let name = "core"
  public let views = 1
  public let mixing: HardPairMixing
  public let contrastive: FocalSupConLoss
  /// η.
  public let eta: Float
  public let classes: Int
  public let histogramBins: Int

  public init(mixing: HardPairMixing, contrastive: FocalSupConLoss, eta: Float, classes: Int, histogramBins: Int = 40) {
    self.mixing = mixing
    self.contrastive = contrastive
    self.eta = eta
    self.classes = classes
    self.histogramBins = histogramBins
  }

  public func step(model: Network, batch: Batch, rng: inout RandomGenerator) -> MethodStep {
    let features = model.features(batch.tensor)
    let rows = mixing.generate(
      features: features, labels: batch.labels, classes: classes, draws: mixing.draw(batch: batch.count, using: &rng))
    let logits = model.classify(rows.features)
    let classification = logits.crossEntropy(softTargets: rows.targets)
    let embeddings = model.embed(rows.features)
    let contrast = contrastive(embeddings, groups: rows.groups)
    let originals = withoutGradients { logits.slice(alongAxis: 0, 0..<batch.count) }
    let pairs = SupConLoss().pairs(batch: rows.groups.count, views: 1, positives: .labels(rows.groups))
    return MethodStep(
      loss: classification + contrast * eta,
      lossParts: ["ce": Double(classification.scalar), "con": Double(contrast.scalar)],
      accuracy: accuracy(originals, batch.labels),
      scores: PairScores(embeddings: embeddings, pairs: pairs, bins: histogramBins))
  }
}

/// The fraction of rows whose largest logit is their label.
func accuracy(_ logits: Tensor, _ labels: [Int]) -> Double {
  let predicted = logits.argmax(alongAxis: 1)
  return labels.isEmpty ? 0 : Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
