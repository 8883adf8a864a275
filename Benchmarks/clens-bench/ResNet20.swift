import Engine

/// He et al.'s CIFAR ResNet-20 as the PGD peer benchmark builds it (models.py): 3 stages
/// of 3 BasicBlocks, widths 16/32/64, option-A shortcuts (stride-2 subsampling and zero
/// channels on both sides), kaiming-normal convs and linear layer. The engine has no
/// ResNet-20; it exists here only so that the PGD benchmark runs the peer's model.
final class ResNet20: Layer {
  var isTraining = true
  let conv1: Conv2d
  let bn1: BatchNorm
  let blocks: [Block]
  let linear: Linear

  final class Block: Layer {
    var isTraining = true
    let conv1: Conv2d
    let bn1: BatchNorm
    let conv2: Conv2d
    let bn2: BatchNorm
    /// Zero channels added on each side of the subsampled input (0: identity shortcut).
    let padding: Int
    let stride: Int

    init(inPlanes: Int, planes: Int, stride: Int, rng: inout RandomGenerator) {
      conv1 = kaimingConv(inPlanes, planes, stride: stride, rng: &rng)
      bn1 = BatchNorm(features: planes)
      conv2 = kaimingConv(planes, planes, stride: 1, rng: &rng)
      bn2 = BatchNorm(features: planes)
      padding = stride != 1 || inPlanes != planes ? planes / 4 : 0
      self.stride = stride
    }

    var children: [(name: String, module: any Module)] {
      [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
    }

    /// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut), with batch norm, residual add and
    /// ReLU fused as the engine's own BasicBlock does.
    func callAsFunction(_ x: Tensor) -> Tensor {
      let hidden = bn1(conv1(x), adding: nil, relu: true)
      guard padding > 0 else { return bn2(conv2(hidden), adding: x, relu: true) }
      // x[:, :, ::2, ::2] is a 1x1 max-pool with stride 2; then zero channels around it.
      let sub = x.maxPool2d(kernelSize: 1, stride: stride)
      var zeroShape = sub.shape
      zeroShape[1] = padding
      let zeros = Tensor(zeros: zeroShape)
      return bn2(conv2(hidden), adding: Tensor.concatenate([zeros, sub, zeros], alongAxis: 1), relu: true)
    }
  }

  init(classes: Int = 10, inChannels: Int = 3, rng: inout RandomGenerator) {
    conv1 = kaimingConv(inChannels, 16, stride: 1, rng: &rng)
    bn1 = BatchNorm(features: 16)
    var blocks = [Block]()
    var inPlanes = 16
    for (stage, planes) in [16, 32, 64].enumerated() {
      for b in 0..<3 {
        blocks.append(
          Block(inPlanes: inPlanes, planes: planes, stride: stage > 0 && b == 0 ? 2 : 1, rng: &rng))
        inPlanes = planes
      }
    }
    self.blocks = blocks
    linear = Linear(inFeatures: 64, outFeatures: classes, rng: &rng)
    linear.weight.assign(
      Tensor(randomNormal: [classes, 64], std: (2 / Float(64)).squareRoot(), using: &rng))
  }

  var children: [(name: String, module: any Module)] {
    [("conv1", conv1), ("bn1", bn1)]
      + blocks.enumerated().map { ("layers.\($0.offset)", $0.element) }
      + [("linear", linear)]
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    var h = bn1(conv1(x), adding: nil, relu: true)
    for block in blocks { h = block(h) }
    return linear(h.globalAveragePool())
  }
}

/// A bias-free 3x3 convolution with kaiming_normal_ (fan_in, ReLU gain) weights.
private func kaimingConv(_ inPlanes: Int, _ planes: Int, stride: Int, rng: inout RandomGenerator)
  -> Conv2d
{
  let conv = Conv2d(
    inChannels: inPlanes, outChannels: planes, kernelSize: 3, stride: stride, padding: 1, rng: &rng)
  conv.weight.assign(
    Tensor(
      randomNormal: conv.weight.shape, std: (2 / Float(inPlanes * 9)).squareRoot(), using: &rng))
  return conv
}
