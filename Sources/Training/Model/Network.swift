import Engine
import RunFormat

/// The network a run trains: a ResNet encoder, an optional MLP projection head and an
/// optional linear classifier. Parameters are named `encoder.<torchvision name>`,
/// `head.<i>.weight` (SupContrast's `nn.Sequential` head, Core-tuning's Contrastor) and
/// `classifier.weight`, so `encoder.`-stripped weights load into a torchvision ResNet
/// with `load_state_dict(strict=True)`.
public final class Network: Layer {
  public var isTraining = true
  /// What the model is: rebuilt from this by checkpoints and deep copies.
  public let architecture: ModelArchitecture
  /// The encoder (no `fc`); its pooled features are what the analyses study.
  public let encoder: ResNet
  /// The projection head: Linear → (BatchNorm →) ReLU → … → Linear; nil without one.
  public let head: Sequential?
  /// The classifier on the encoder's features; nil for pre-training.
  public let classifier: Linear?
  /// SelfCon's sub-network exit and its projection head; nil for a single exit.
  public let exit: ExitBranch?
  public let exitHead: Sequential?

  /// A freshly initialised model; `rng` draws the weights (encoder, head, classifier).
  public init(_ architecture: ModelArchitecture, rng: inout RandomGenerator) {
    precondition(architecture.encoder.classes == nil, "Network: the encoder has no fc layer")
    self.architecture = architecture
    encoder = ResNet(architecture.encoder, rng: &rng)
    let dimension = architecture.encoder.featureDimension
    let batchNorm = architecture.headBatchNorm
    head =
      architecture.headWidths.isEmpty
      ? nil : Sequential.mlp([dimension] + architecture.headWidths, batchNorm: batchNorm, rng: &rng)
    classifier = architecture.classifier.map {
      Linear(inFeatures: dimension, outFeatures: $0.classes, bias: $0.bias, rng: &rng)
    }
    exit = architecture.exit.map { ExitBranch($0, encoder: architecture.encoder, rng: &rng) }
    exitHead =
      architecture.exit == nil || architecture.headWidths.isEmpty
      ? nil : Sequential.mlp([dimension] + architecture.headWidths, batchNorm: batchNorm, rng: &rng)
  }

  public var children: [(name: String, module: any Module)] {
    var result: [(name: String, module: any Module)] = [("encoder", encoder)]
    if let head { result.append(("head", head)) }
    if let classifier { result.append(("classifier", classifier)) }
    if let exit { result.append(("exit", exit)) }
    if let exitHead { result.append(("exit_head", exitHead)) }
    return result
  }

  /// SelfCon's forward pass: the pooled features of the sub-network exit and of the
  /// encoder, and their L2-normalised embeddings (sub-exit first).
  public func forwardExits(_ images: Tensor) -> (features: [Tensor], embeddings: [Tensor]) {
    guard let exit, let exitHead, let stage = architecture.exit?.stage else {
      preconditionFailure("Network.forwardExits: the model has no sub-network exit")
    }
    let out = encoder.forward(images)
    let subFeatures = exit(out.stages[stage - 1])
    return (
      [subFeatures, out.features], [exitHead(subFeatures).l2Normalized(alongAxis: 1), embed(out.features)]
    )
  }

  /// Pooled encoder features [N, D] of images [N, C, H, W].
  public func features(_ images: Tensor) -> Tensor { encoder.forward(images).features }

  /// L2-normalised head outputs [N, d] of features [N, D].
  public func embed(_ features: Tensor) -> Tensor {
    guard let head else { preconditionFailure("Network.embed: the model has no projection head") }
    return head(features).l2Normalized(alongAxis: 1)
  }

  /// Classifier logits [N, classes] of features [N, D].
  public func classify(_ features: Tensor) -> Tensor {
    guard let classifier else { preconditionFailure("Network.classify: the model has no classifier") }
    return classifier(features)
  }

  /// Pooled encoder features and L2-normalised embeddings of images (pre-training).
  public func forward(_ images: Tensor) -> (features: Tensor, embeddings: Tensor) {
    let features = self.features(images)
    return (features, embed(features))
  }

  /// Logits of images (a fine-tuned classifier, as attacks and evaluation see it).
  public func callAsFunction(_ images: Tensor) -> Tensor { classify(features(images)) }

  /// An independent model with the same architecture and exactly the same parameters
  /// and buffers (MoCo's key encoder, EMA teachers).
  public func deepCopy() -> Network {
    var rng = RandomGenerator(seed: 0)
    let copy = Network(architecture, rng: &rng)
    do {
      try copy.loadStateDict(stateDict(), strict: true)
    } catch {
      preconditionFailure("deepCopy: the copy does not fit its own architecture: \(error)")
    }
    copy.setTraining(isTraining)
    return copy
  }
}
