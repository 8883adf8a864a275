/// The ResNet variants ContrastLens builds (torchvision's definitions).
public enum ResNetDepth: String, CaseIterable, Sendable {
  case resnet18, resnet34, resnet50

  /// Blocks per stage.
  public var blocks: [Int] {
    switch self {
    case .resnet18: [2, 2, 2, 2]
    case .resnet34, .resnet50: [3, 4, 6, 3]
    }
  }

  var usesBottleneck: Bool { self == .resnet50 }
  /// Output channels of a block relative to its planes.
  public var expansion: Int { usesBottleneck ? 4 : 1 }
}

/// The first layers of a ResNet.
public enum ResNetStem: String, CaseIterable, Sendable {
  /// 7x7 stride-2 conv, then 3x3 stride-2 max-pool (ImageNet-sized input).
  case imagenet
  /// 3x3 stride-1 conv and no max-pool (32x32 CIFAR or 28x28 Fashion-MNIST input).
  case cifar
}

/// Everything that defines a ResNet's shape; what `clens` model options resolve to.
public struct ResNetConfiguration: Sendable, Equatable {
  /// ResNet-18, -34 or -50.
  public var depth: ResNetDepth
  /// ImageNet or CIFAR stem.
  public var stem: ResNetStem
  /// Base channels (64 in torchvision; stages have width, 2·width, 4·width, 8·width planes).
  public var width: Int
  /// Channels of the input images.
  public var inChannels: Int
  /// Classes of the final `fc` layer; nil for a backbone without `fc` (features only).
  public var classes: Int?
  /// Per-channel mean and std applied inside the model, so inputs stay in pixel space
  /// [0, 1] (what PGD's ε is measured in). Nil: the input is used as is.
  public var normalization: (mean: [Float], std: [Float])?
  /// Zero-initialise the last BatchNorm scale of every residual block.
  public var zeroInitResidual: Bool

  /// A configuration; the defaults are torchvision's `resnet18()`.
  public init(
    depth: ResNetDepth = .resnet18, stem: ResNetStem = .imagenet, width: Int = 64, inChannels: Int = 3,
    classes: Int? = 1000, normalization: (mean: [Float], std: [Float])? = nil, zeroInitResidual: Bool = false
  ) {
    self.depth = depth
    self.stem = stem
    self.width = width
    self.inChannels = inChannels
    self.classes = classes
    self.normalization = normalization
    self.zeroInitResidual = zeroInitResidual
  }

  /// Length of the pooled feature vector (the input of `fc`).
  public var featureDimension: Int { 8 * width * depth.expansion }

  /// Equal when every setting, normalisation included, is equal.
  public static func == (a: ResNetConfiguration, b: ResNetConfiguration) -> Bool {
    a.depth == b.depth && a.stem == b.stem && a.width == b.width && a.inChannels == b.inChannels && a.classes == b.classes
      && a.normalization?.mean == b.normalization?.mean && a.normalization?.std == b.normalization?.std
      && a.zeroInitResidual == b.zeroInitResidual
  }
}

/// torchvision's conv init for ResNets: kaiming_normal_(mode="fan_out", nonlinearity="relu").
private func resnetConv(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int, padding: Int, rng: inout RandomGenerator) -> Conv2d {
  let conv = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: kernel, stride: stride, padding: padding, rng: &rng)
  let std = (2 / Float(outChannels * kernel * kernel)).squareRoot()
  conv.weight.assign(Tensor(randomNormal: conv.weight.shape, std: std, using: &rng))
  return conv
}

/// Two 3x3 convolutions with a residual connection (ResNet-18/34).
public final class BasicBlock: Layer {
  public var isTraining = true
  /// First 3x3 convolution (carries the stride) and its BatchNorm; second 3x3 convolution and its BatchNorm.
  public let conv1: Conv2d
  public let bn1: BatchNorm
  public let conv2: Conv2d
  public let bn2: BatchNorm
  /// Projection shortcut (1x1 conv + BN) when the shape changes.
  public let downsample: Sequential?

  init(inPlanes: Int, planes: Int, stride: Int, rng: inout RandomGenerator) {
    conv1 = resnetConv(inPlanes, planes, kernel: 3, stride: stride, padding: 1, rng: &rng)
    bn1 = BatchNorm(features: planes)
    conv2 = resnetConv(planes, planes, kernel: 3, stride: 1, padding: 1, rng: &rng)
    bn2 = BatchNorm(features: planes)
    downsample = stride != 1 || inPlanes != planes
      ? Sequential([resnetConv(inPlanes, planes, kernel: 1, stride: stride, padding: 0, rng: &rng), BatchNorm(features: planes)])
      : nil
  }

  public var children: [(name: String, module: any Module)] {
    [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)] + (downsample.map { [("downsample", $0)] } ?? [])
  }

  /// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let h = bn1(conv1(x), adding: nil, relu: true)
    return bn2(conv2(h), adding: downsample?(x) ?? x, relu: true)
  }
}

/// 1x1 → 3x3 (stride here, as torchvision's v1.5) → 1x1 with 4x expansion (ResNet-50).
public final class Bottleneck: Layer {
  public var isTraining = true
  /// 1x1 reduce, 3x3 (stride), 1x1 expand convolutions, each followed by its BatchNorm.
  public let conv1: Conv2d
  public let bn1: BatchNorm
  public let conv2: Conv2d
  public let bn2: BatchNorm
  public let conv3: Conv2d
  public let bn3: BatchNorm
  /// Projection shortcut (1x1 conv + BN) when the shape changes.
  public let downsample: Sequential?

  init(inPlanes: Int, planes: Int, stride: Int, rng: inout RandomGenerator) {
    conv1 = resnetConv(inPlanes, planes, kernel: 1, stride: 1, padding: 0, rng: &rng)
    bn1 = BatchNorm(features: planes)
    conv2 = resnetConv(planes, planes, kernel: 3, stride: stride, padding: 1, rng: &rng)
    bn2 = BatchNorm(features: planes)
    conv3 = resnetConv(planes, planes * 4, kernel: 1, stride: 1, padding: 0, rng: &rng)
    bn3 = BatchNorm(features: planes * 4)
    downsample = stride != 1 || inPlanes != planes * 4
      ? Sequential([resnetConv(inPlanes, planes * 4, kernel: 1, stride: stride, padding: 0, rng: &rng), BatchNorm(features: planes * 4)])
      : nil
  }

  public var children: [(name: String, module: any Module)] {
    [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3)]
      + (downsample.map { [("downsample", $0)] } ?? [])
  }

  /// relu(bn3(conv3(…)) + shortcut(x)).
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let h = bn2(conv2(bn1(conv1(x), adding: nil, relu: true)), adding: nil, relu: true)
    return bn3(conv3(h), adding: downsample?(x) ?? x, relu: true)
  }
}

/// What a ResNet forward pass can return.
public struct ResNetOutput {
  /// Outputs of layer1 … layer4 (for multi-exit heads such as SelfCon's).
  public var stages: [Tensor]
  /// Globally pooled penultimate features [N, featureDimension].
  public var features: Tensor
  /// `fc(features)` [N, classes], nil without `fc`.
  public var logits: Tensor?
}

/// torchvision's ResNet-18/34/50 with a choice of stem, base width and input channels;
/// parameter and buffer names are torchvision's (`conv1.weight`,
/// `layer2.0.downsample.1.running_var`, `fc.bias`).
///
/// ```swift
/// var rng = RandomGenerator(seed: 0)
/// let model = ResNet(ResNetConfiguration(stem: .cifar, width: 16, inChannels: 1, classes: 10), rng: &rng)
/// let out = model.forward(images)            // out.features [N, 128], out.logits [N, 10]
/// ```
public final class ResNet: Layer {
  public var isTraining = true
  /// The shape of this model.
  public let configuration: ResNetConfiguration
  /// The stem's convolution and BatchNorm.
  public let conv1: Conv2d
  public let bn1: BatchNorm
  /// layer1 … layer4.
  public let stages: [Sequential]
  /// The classifier, nil for a backbone.
  public let fc: Linear?

  /// A freshly initialised ResNet (kaiming-normal convs, BN scale 1 and shift 0, default
  /// Linear init), as torchvision builds it.
  public init(_ configuration: ResNetConfiguration, rng: inout RandomGenerator) {
    let c = configuration
    precondition(c.width >= 1 && c.inChannels >= 1, "ResNet: width and inChannels must be positive")
    if let n = c.normalization {
      precondition(n.mean.count == c.inChannels && n.std.count == c.inChannels && n.std.allSatisfy { $0 > 0 },
        "ResNet: normalization needs one mean and one positive std per input channel")
    }
    self.configuration = c
    switch c.stem {
    case .imagenet: conv1 = resnetConv(c.inChannels, c.width, kernel: 7, stride: 2, padding: 3, rng: &rng)
    case .cifar: conv1 = resnetConv(c.inChannels, c.width, kernel: 3, stride: 1, padding: 1, rng: &rng)
    }
    bn1 = BatchNorm(features: c.width)
    stages = ResNet.makeStages(c, from: 0, blocks: c.depth.blocks, rng: &rng)
    fc = c.classes.map { Linear(inFeatures: c.featureDimension, outFeatures: $0, rng: &rng) }
  }

  /// Stages `first`… of a ResNet of `configuration`, with `blocks[i]` blocks in stage i
  /// (stages before `first` are not built), initialised as torchvision does: what a
  /// SelfCon sub-network copies (`same`: the full block counts; `small`: half).
  public static func makeStages(
    _ configuration: ResNetConfiguration, from first: Int, blocks: [Int], rng: inout RandomGenerator
  ) -> [Sequential] {
    let c = configuration
    precondition(blocks.count == c.depth.blocks.count && first >= 0 && first < blocks.count, "makeStages: bad stages")
    var inPlanes = first == 0 ? c.width : (c.width << (first - 1)) * c.depth.expansion
    var stages = [Sequential]()
    for index in first..<blocks.count {
      let planes = c.width << index
      var layers = [any Layer]()
      for b in 0..<max(blocks[index], 1) {
        let stride = index > 0 && b == 0 ? 2 : 1
        if c.depth.usesBottleneck {
          let block = Bottleneck(inPlanes: inPlanes, planes: planes, stride: stride, rng: &rng)
          if c.zeroInitResidual { block.bn3.weight?.assign(Tensor(zeros: [planes * 4])) }
          layers.append(block)
        } else {
          let block = BasicBlock(inPlanes: inPlanes, planes: planes, stride: stride, rng: &rng)
          if c.zeroInitResidual { block.bn2.weight?.assign(Tensor(zeros: [planes])) }
          layers.append(block)
        }
        inPlanes = planes * c.depth.expansion
      }
      stages.append(Sequential(layers))
    }
    return stages
  }

  public var children: [(name: String, module: any Module)] {
    var result: [(name: String, module: any Module)] = [("conv1", conv1), ("bn1", bn1)]
    for (i, stage) in stages.enumerated() { result.append(("layer\(i + 1)", stage)) }
    if let fc { result.append(("fc", fc)) }
    return result
  }

  /// Length of the pooled feature vector.
  public var featureDimension: Int { configuration.featureDimension }

  /// The input after the model's own mean/std normalisation (identity without one).
  public func normalize(_ x: Tensor) -> Tensor {
    guard let n = configuration.normalization else { return x }
    precondition(x.rank == 4 && x.shape[1] == configuration.inChannels,
      "ResNet: input \(x.shape) does not have \(configuration.inChannels) channels")
    let c = configuration.inChannels
    let mean = Tensor(shape: [1, c, 1, 1], scalars: n.mean)
    let scale = Tensor(shape: [1, c, 1, 1], scalars: n.std.map { 1 / $0 })
    return (x - mean) * scale
  }

  /// The stem: normalisation, first conv, BN, ReLU and (ImageNet stem) max-pool.
  public func stem(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == configuration.inChannels,
      "ResNet: input \(x.shape) is not NCHW with \(configuration.inChannels) channels")
    let y = bn1(conv1(normalize(x)), adding: nil, relu: true)
    return configuration.stem == .imagenet ? y.maxPool2d(kernelSize: 3, stride: 2, padding: 1) : y
  }

  /// The whole forward pass, keeping the stage outputs, pooled features and logits.
  public func forward(_ x: Tensor) -> ResNetOutput {
    var h = stem(x)
    var outputs = [Tensor]()
    for stage in stages {
      h = stage(h)
      outputs.append(h)
    }
    let features = h.globalAveragePool()
    return ResNetOutput(stages: outputs, features: features, logits: fc.map { $0(features) })
  }

  /// Logits, or pooled features for a model without `fc`.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let out = forward(x)
    return out.logits ?? out.features
  }
}

extension ResNetDepth: Codable {}
extension ResNetStem: Codable {}

extension ResNetConfiguration: Codable {
  enum CodingKeys: String, CodingKey {
    case depth = "arch", stem, width, classes, normalization
    case inChannels = "in_channels"
    case zeroInitResidual = "zero_init_residual"
  }

  private struct Normalization: Codable {
    var mean: [Float]
    var std: [Float]
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let normalization = try c.decodeIfPresent(Normalization.self, forKey: .normalization)
    self.init(
      depth: try c.decode(ResNetDepth.self, forKey: .depth), stem: try c.decode(ResNetStem.self, forKey: .stem),
      width: try c.decode(Int.self, forKey: .width), inChannels: try c.decode(Int.self, forKey: .inChannels),
      classes: try c.decodeIfPresent(Int.self, forKey: .classes),
      normalization: normalization.map { ($0.mean, $0.std) },
      zeroInitResidual: try c.decodeIfPresent(Bool.self, forKey: .zeroInitResidual) ?? false)
    guard width >= 1, inChannels >= 1, classes.map({ $0 >= 1 }) ?? true else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath, debugDescription: "width, in_channels and classes must be positive"))
    }
    if let n = self.normalization, n.mean.count != inChannels || n.std.count != inChannels || !n.std.allSatisfy({ $0 > 0 }) {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath + [CodingKeys.normalization],
          debugDescription: "needs one mean and one positive std per input channel"))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(depth, forKey: .depth)
    try c.encode(stem, forKey: .stem)
    try c.encode(width, forKey: .width)
    try c.encode(inChannels, forKey: .inChannels)
    try c.encodeIfPresent(classes, forKey: .classes)
    try c.encodeIfPresent(normalization.map { Normalization(mean: $0.mean, std: $0.std) }, forKey: .normalization)
    try c.encode(zeroInitResidual, forKey: .zeroInitResidual)
  }
}
