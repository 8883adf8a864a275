import Analysis
import Datasets
import Engine
import RunFormat

/// The encoder's features of held-out images during training: the clean images, and one
/// augmented view of each by the run's recipe as positives (so alignment can be
/// measured), with labels and a cosine kNN accuracy as a monitor; for a model with a
/// classifier also its logits and accuracy.
public struct FeatureSnapshot {
  /// Features of the clean images, [count · dimension].
  public var features: [Float]
  /// Features of one augmented view of each image, row-aligned with `features`.
  public var positives: [Float]
  /// Classifier logits of the clean images, [count · classes]; nil without a classifier.
  public var logits: [Float]?
  public var labels: [Int]
  public var count: Int
  public var dimension: Int
  /// Leave-one-out 10-NN accuracy by cosine similarity (nil for fewer than 11 images).
  public var knnAccuracy: Double?
  /// The classifier's accuracy on the clean images; nil without a classifier.
  public var accuracy: Double?

  /// Takes a snapshot of `model` on `images`; the positive views draw from `seed`'s
  /// `.views` stream (the same views at every snapshot, so snapshots differ only by the
  /// model).
  public init(
    model: Network, images: ImageSet, recipe: AugmentationRecipe, seed: UInt64, batchSize: Int,
    threads: ThreadCount
  ) {
    // The recipes crop and resize to the dataset's own image size.
    let transform = recipe.transform(height: images.height, width: images.width, normalization: nil)
    let view = images.augmentedViews(transform, views: 1, seed: seed, threads: threads)[0]
    let viewImages = ImageArray(
      count: images.count, channels: images.channels, height: images.height, width: images.width, pixels: view)
    let clean = FeatureExtraction.run(model.encoder, images: ImageArray(images), batchSize: batchSize).features
    features = clean
    positives = FeatureExtraction.run(model.encoder, images: viewImages, batchSize: batchSize).features
    labels = images.labels
    count = images.count
    dimension = model.encoder.featureDimension
    if model.classifier != nil {
      let logits = withoutGradients {
        model.classify(Tensor(shape: [images.count, model.encoder.featureDimension], scalars: clean))
      }
      self.logits = logits.scalars
      accuracy = Training.accuracy(logits, images.labels)
    }
    let k = 10
    if count > k {
      knnAccuracy = try? NeighborAccuracy.cosine(
        FeatureMatrix(rows: count, columns: dimension, values: clean), labels: labels, k: k, threads: threads)
    }
  }

  /// Writes `features/<tag>.npy` with its labels, positives and logits.
  public func write(to files: FeatureFiles) throws(FileError) {
    try files.write(features: features, rows: count, labels: labels, positives: positives, logits: logits)
  }
}
