import Analysis
import Datasets
import Engine

/// A frozen encoder's features of the training, validation and test images, computed
/// once (evaluation mode, no augmentation, no tape) for linear and kNN evaluation.
public struct FrozenFeatures: Sendable {
  /// Features and labels of one split.
  public struct Split: Sendable {
    public var features: FeatureMatrix
    public var labels: [Int]
    /// The SelfCon sub-network's features, when the encoder has one.
    public var exitFeatures: FeatureMatrix?

    public init(features: FeatureMatrix, labels: [Int], exitFeatures: FeatureMatrix? = nil) {
      self.features = features
      self.labels = labels
      self.exitFeatures = exitFeatures
    }
  }

  public var train: Split
  public var validation: Split?
  public var test: Split

  /// Splits whose features are already known.
  public init(train: Split, validation: Split?, test: Split) {
    self.train = train
    self.validation = validation
    self.test = test
  }

  /// The features of `data`'s splits (the held-out split is the test split), and of a
  /// SelfCon `exit`'s when one is given.
  public init(
    encoder: ResNet, exit: SubNetworkExit? = nil, data: TrainingData.Splits, batchSize: Int,
    progress: ((String, Int, Int) -> Void)? = nil
  ) {
    func split(_ name: String, _ images: ImageSet) -> Split {
      let values = FeatureExtraction.run(encoder, exit: exit, images: ImageArray(images), batchSize: batchSize) {
        progress?(name, $0, $1)
      }
      let dimension = encoder.featureDimension
      return Split(
        features: FeatureMatrix(rows: images.count, columns: dimension, values: values.features),
        labels: images.labels,
        exitFeatures: values.exitFeatures.map { FeatureMatrix(rows: images.count, columns: dimension, values: $0) })
    }
    train = split("train", data.train)
    validation = data.validation.map { split("validation", $0) }
    test = split("test", data.heldOut ?? data.train)
  }
}
