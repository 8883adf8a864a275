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
  }

  public var train: Split
  public var validation: Split?
  public var test: Split

  /// The features of `data`'s splits (the held-out split is the test split).
  public init(encoder: ResNet, data: TrainingData.Splits, batchSize: Int, progress: ((String, Int, Int) -> Void)? = nil) {
    func split(_ name: String, _ images: ImageSet) -> Split {
      let values = FeatureExtraction.run(encoder, images: ImageArray(images), batchSize: batchSize) {
        progress?(name, $0, $1)
      }.features
      return Split(
        features: FeatureMatrix(rows: images.count, columns: encoder.featureDimension, values: values),
        labels: images.labels)
    }
    train = split("train", data.train)
    validation = data.validation.map { split("validation", $0) }
    test = split("test", data.heldOut ?? data.train)
  }
}
