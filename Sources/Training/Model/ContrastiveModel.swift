import Engine
import RunFormat

/// A ResNet encoder and an MLP projection head, the network every contrastive method
/// here trains. Parameters are named `encoder.<torchvision name>` and `head.<i>.weight`
/// (SupContrast's `nn.Sequential` head), so `encoder.`-stripped weights load into a
/// torchvision ResNet with `load_state_dict(strict=True)`.
public final class ContrastiveModel: Module {
  public var isTraining = true
  /// What the model is: rebuilt from this by checkpoints and deep copies.
  public let architecture: ModelArchitecture
  /// The encoder (no `fc`); its pooled features are what the analyses study.
  public let encoder: ResNet
  /// The projection head: Linear → ReLU → … → Linear.
  public let head: Sequential

  /// A freshly initialised model; `rng` draws the weights (encoder first, then head).
  public init(_ architecture: ModelArchitecture, rng: inout RandomGenerator) {
    precondition(architecture.encoder.classes == nil, "ContrastiveModel: the encoder has no fc layer")
    precondition(!architecture.headWidths.isEmpty, "ContrastiveModel: the head needs at least one layer")
    self.architecture = architecture
    encoder = ResNet(architecture.encoder, rng: &rng)
    head = Sequential.mlp([architecture.encoder.featureDimension] + architecture.headWidths, rng: &rng)
  }

  public var children: [(name: String, module: any Module)] { [("encoder", encoder), ("head", head)] }

  /// Pooled encoder features [N, D] and L2-normalised embeddings [N, d] of images [N, C, H, W].
  public func forward(_ images: Tensor) -> (features: Tensor, embeddings: Tensor) {
    let features = encoder.forward(images).features
    return (features, head(features).l2Normalized(alongAxis: 1))
  }

  /// An independent model with the same architecture and exactly the same parameters
  /// and buffers (MoCo's key encoder, EMA teachers).
  public func deepCopy() -> ContrastiveModel {
    var rng = RandomGenerator(seed: 0)
    let copy = ContrastiveModel(architecture, rng: &rng)
    do {
      try copy.loadStateDict(stateDict(), strict: true)
    } catch {
      preconditionFailure("deepCopy: the copy does not fit its own architecture: \(error)")
    }
    copy.setTraining(isTraining)
    return copy
  }
}
