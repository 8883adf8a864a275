import Datasets
import Engine

/// A classifier's accuracy and mean cross-entropy on labelled images, in evaluation mode
/// without a tape (fine-tuning's validation each epoch).
public struct ClassifierEvaluation: Sendable, Equatable {
  public var accuracy: Double
  public var loss: Double

  /// Evaluates `model` on `images` in batches of `batchSize`; the model returns to its
  /// previous mode afterwards.
  public init(model: Network, images: ImageSet, batchSize: Int) {
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer { model.setTraining(wasTraining) }
    let array = ImageArray(images)
    var correct = 0.0
    var total = 0.0
    var start = 0
    while start < images.count {
      let range = start..<min(start + batchSize, images.count)
      let batch = Tensor(shape: [range.count, images.channels, images.height, images.width], scalars: array.pixels(range))
      let labels = Array(images.labels[range])
      let logits = withoutGradients { model(batch) }
      correct += Training.accuracy(logits, labels) * Double(range.count)
      total += Double(withoutGradients { logits.crossEntropy(labels: labels) }.scalar) * Double(range.count)
      start = range.upperBound
    }
    accuracy = images.count == 0 ? 0 : correct / Double(images.count)
    loss = images.count == 0 ? 0 : total / Double(images.count)
  }
}
