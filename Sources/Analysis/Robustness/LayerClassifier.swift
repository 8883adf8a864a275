import Engine

/// An engine model (NCHW images in [0, 1] → logits) as an `AttackableClassifier`: the
/// model is switched to evaluation mode, and input gradients come from the engine's tape
/// (the images are a leaf; the seed at the logits is ∂L/∂logits) with the parameters
/// frozen, so no weight gradient is computed.
///
/// ```swift
/// let resnet = ResNet(configuration, rng: &rng)
/// try resnet.loadWeights(from: "model.safetensors")
/// let classifier = LayerClassifier(resnet, image: ImageShape(channels: 1, height: 28, width: 28), classCount: 10)
/// ```
public struct LayerClassifier: AttackableClassifier {
  /// The wrapped model; it stays in evaluation mode.
  public let model: any Layer
  public let image: ImageShape
  public let classCount: Int

  /// Wraps `model`, whose forward pass maps `[N, C, H, W]` images to `[N, classCount]`
  /// logits, and puts it in evaluation mode.
  public init(_ model: any Layer, image: ImageShape, classCount: Int) {
    model.setTraining(false)
    self.model = model
    self.image = image
    self.classCount = classCount
  }

  public var inputSize: Int { image.channels * image.height * image.width }

  private func tensor(_ images: [Float], count: Int) -> Tensor {
    Tensor(shape: [count, image.channels, image.height, image.width], scalars: images)
  }

  public func logits(_ images: [Float], count: Int) -> [Float] {
    withoutGradients { model(tensor(images, count: count)) }.scalars
  }

  public func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float]) {
    withFrozenParameters {
      let input = tensor(images, count: count).requiringGradient()
      let logits = model(input)
      let values = logits.scalars
      let seed = Tensor(shape: logits.shape, scalars: outputGradient(values))
      return (values, gradients(of: logits, wrt: [input], seed: seed)[0].scalars)
    }
  }
}
