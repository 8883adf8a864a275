import Datasets
import Engine

/// Features (and logits) of a ResNet over a set of images, in evaluation mode without a
/// tape: what `clens features` writes and what training snapshots hold.
public enum FeatureExtraction {
  /// Pooled features [N · D] and, for a model with `fc`, logits [N · classes] of every
  /// image, `batchSize` images per forward pass; with a SelfCon `exit` also the features
  /// of that sub-network [N · D]. The model is put in evaluation mode and returned to its
  /// previous mode afterwards.
  public static func run(
    _ model: ResNet, exit: SubNetworkExit? = nil, images: ImageArray, batchSize: Int,
    progress: ((Int, Int) -> Void)? = nil
  ) -> (features: [Float], logits: [Float]?, exitFeatures: [Float]?) {
    precondition(batchSize >= 1, "FeatureExtraction: batch size must be positive")
    let wasTraining = model.isTraining
    model.setTraining(false)
    exit?.branch.setTraining(false)
    defer {
      model.setTraining(wasTraining)
      exit?.branch.setTraining(wasTraining)
    }
    var features = [Float]()
    features.reserveCapacity(images.count * model.featureDimension)
    var logits: [Float]? = model.fc == nil ? nil : []
    var exitFeatures: [Float]? = exit == nil ? nil : []
    var start = 0
    while start < images.count {
      let range = start..<min(start + batchSize, images.count)
      let batch = Tensor(
        shape: [range.count, images.channels, images.height, images.width], scalars: images.pixels(range))
      let out = withoutGradients { model.forward(batch) }
      features += out.features.scalars
      if let batchLogits = out.logits { logits? += batchLogits.scalars }
      if let exit { exitFeatures? += withoutGradients { exit.branch(out.stages[exit.stage - 1]) }.scalars }
      start = range.upperBound
      progress?(start, images.count)
    }
    return (features, logits, exitFeatures)
  }
}

/// A SelfCon sub-network and the encoder stage whose output it reads.
public struct SubNetworkExit {
  public var branch: ExitBranch
  /// 1, 2 or 3.
  public var stage: Int

  public init(branch: ExitBranch, stage: Int) {
    self.branch = branch
    self.stage = stage
  }
}
