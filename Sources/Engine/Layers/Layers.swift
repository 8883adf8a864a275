import Foundation

/// Draws U(−bound, bound) values: PyTorch's default init for Linear and Conv2d
/// (kaiming_uniform with a = √5 gives bound = 1/√fan_in, the bias uses the same bound).
func uniformInit(_ shape: [Int], bound: Float, using rng: inout RandomGenerator) -> Tensor {
  Tensor(randomUniform: shape, low: -bound, high: bound, using: &rng)
}

/// 2-D convolution (NCHW), PyTorch's `nn.Conv2d` with square kernel, stride and padding.
public final class Conv2d: Layer {
  public var isTraining = true
  /// The weight ([out, in, k, k] for Conv2d, [out, in] for Linear).
  public let weight: Parameter
  /// The bias [out], if the layer has one.
  public let bias: Parameter?
  /// Stride in both spatial directions.
  public let stride: Int
  /// Zero padding on all four sides.
  public let padding: Int

  /// A convolution with PyTorch's default initialisation; `rng` draws the weights.
  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = false,
    rng: inout RandomGenerator
  ) {
    let bound = 1 / Float(inChannels * kernelSize * kernelSize).squareRoot()
    weight = Parameter(uniformInit([outChannels, inChannels, kernelSize, kernelSize], bound: bound, using: &rng))
    self.bias = bias ? Parameter(uniformInit([outChannels], bound: bound, using: &rng)) : nil
    self.stride = stride
    self.padding = padding
  }

  public var ownParameters: [(name: String, parameter: Parameter)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// The forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let y = input.conv2d(weight.value, stride: stride, padding: padding)
    guard let bias else { return y }
    return y + bias.value.reshaped(to: [1, bias.shape[0], 1, 1])
  }
}

/// Fully connected layer y = x·Wᵀ + b (PyTorch's `nn.Linear`, weight [out, in]).
public final class Linear: Layer {
  public var isTraining = true
  /// The weight ([out, in, k, k] for Conv2d, [out, in] for Linear).
  public let weight: Parameter
  /// The bias [out], if the layer has one.
  public let bias: Parameter?

  /// A linear layer with PyTorch's default initialisation.
  public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
    let bound = 1 / Float(inFeatures).squareRoot()
    weight = Parameter(uniformInit([outFeatures, inFeatures], bound: bound, using: &rng))
    self.bias = bias ? Parameter(uniformInit([outFeatures], bound: bound, using: &rng)) : nil
  }

  public var ownParameters: [(name: String, parameter: Parameter)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// The forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let y = input.matmul(weight.value, transposeOther: true)
    guard let bias else { return y }
    return y + bias.value
  }
}

/// Batch normalisation over channel axis 1 of [N, C] or [N, C, H, W] input (PyTorch's
/// `BatchNorm1d`/`BatchNorm2d`): batch statistics in training mode, running estimates
/// in evaluation mode. Running estimates follow PyTorch exactly: momentum 0.1,
/// unbiased batch variance, and `num_batches_tracked` (with `momentum: nil` the
/// running estimates are cumulative averages).
public final class BatchNorm: Layer {
  public var isTraining = true
  /// The weight ([out, in, k, k] for Conv2d, [out, in] for Linear).
  public let weight: Parameter?
  /// The bias [out], if the layer has one.
  public let bias: Parameter?
  /// Running mean estimate, if tracked.
  public let runningMean: Buffer?
  /// Running (unbiased) variance estimate, if tracked.
  public let runningVariance: Buffer?
  /// Training batches seen (`num_batches_tracked`), if tracked.
  public let batchesTracked: Buffer?
  /// Added to the variance before the square root.
  public let eps: Float
  /// Weight of the newest batch in the running estimates; nil for a cumulative average.
  public let momentum: Float?
  /// Makes training-mode statistics those of every process's batch (synchronized batch
  /// norm in data-parallel training); nil normalises each process's batch on its own.
  public var synchronizer: (any BatchNormSynchronizer)?

  /// - Parameters:
  ///   - affine: learn a scale (weight, init 1) and shift (bias, init 0).
  ///   - trackRunningStatistics: keep running estimates; without them evaluation mode
  ///     also uses batch statistics.
  public init(features: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStatistics: Bool = true) {
    weight = affine ? Parameter(Tensor(ones: [features])) : nil
    bias = affine ? Parameter(Tensor(zeros: [features])) : nil
    runningMean = trackRunningStatistics ? Buffer(Tensor(zeros: [features])) : nil
    runningVariance = trackRunningStatistics ? Buffer(Tensor(ones: [features])) : nil
    batchesTracked = trackRunningStatistics ? Buffer(Tensor(0), isInteger: true) : nil
    self.eps = eps
    self.momentum = momentum
  }

  public var ownParameters: [(name: String, parameter: Parameter)] {
    [weight.map { ("weight", $0) }, bias.map { ("bias", $0) }].compactMap { $0 }
  }

  public var ownBuffers: [(name: String, buffer: Buffer)] {
    [runningMean.map { ("running_mean", $0) }, runningVariance.map { ("running_var", $0) },
     batchesTracked.map { ("num_batches_tracked", $0) }].compactMap { $0 }
  }

  /// The forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor { callAsFunction(input, adding: nil, relu: false) }

  /// Normalisation followed, in the same pass, by `+ residual` and ReLU (a residual
  /// block's `relu(bn(x) + shortcut)`, or `relu(bn(x))` without a residual).
  public func callAsFunction(_ input: Tensor, adding residual: Tensor?, relu: Bool) -> Tensor {
    if !isTraining, let runningMean, let runningVariance {
      return input.batchNormalized(mean: runningMean.value, variance: runningVariance.value,
        weight: weight?.value, bias: bias?.value, eps: eps, adding: residual, relu: relu)
    }
    let (output, statistics) = input.batchNormalized(
      weight: weight?.value, bias: bias?.value, eps: eps, adding: residual, relu: relu,
      synchronizer: isTraining ? synchronizer : nil)
    if isTraining, let runningMean, let runningVariance, let batchesTracked {
      let tracked = batchesTracked.value.scalar + 1
      batchesTracked.value = Tensor(tracked)
      let factor = momentum ?? 1 / tracked
      let correction = Float(statistics.count) / Float(statistics.count - 1)
      let means = runningMean.value.scalars
      let variances = runningVariance.value.scalars
      let features = means.count
      runningMean.value = Tensor(shape: [features], scalars: (0..<features).map {
        (1 - factor) * means[$0] + factor * statistics.mean[$0]
      })
      runningVariance.value = Tensor(shape: [features], scalars: (0..<features).map {
        (1 - factor) * variances[$0] + factor * statistics.variance[$0] * correction
      })
    }
    return output
  }
}

/// Elementwise max(x, 0) as a layer.
public final class ReLU: Layer {
  public var isTraining = true
  /// A layer without state.
  public init() {}
  /// The forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// Flattens every axis after the batch axis.
public final class Flatten: Layer {
  public var isTraining = true
  /// A layer without state.
  public init() {}
  /// The forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor { input.flattened() }
}

/// L2-normalises each row (the last step of contrastive projection heads).
public final class L2Normalize: Layer {
  public var isTraining = true
  /// The smallest norm divided by.
  public let eps: Float
  /// Normalises rows to unit length, dividing by at least `eps`.
  public init(eps: Float = 1e-12) { self.eps = eps }
  /// The forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor { input.l2Normalized(alongAxis: -1, eps: eps) }
}

/// Layers applied in order; children are named "0", "1", ... like `nn.Sequential`.
public final class Sequential: Layer {
  public var isTraining = true
  /// The layers, applied in order.
  public let layers: [any Layer]

  /// A chain of `layers`.
  public init(_ layers: [any Layer]) { self.layers = layers }

  public var children: [(name: String, module: any Module)] {
    layers.enumerated().map { (String($0.offset), $0.element as any Module) }
  }

  /// The forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    layers.reduce(input) { $1($0) }
  }

  /// A multi-layer perceptron as `nn.Sequential`: Linear → [BatchNorm1d] → ReLU for every
  /// hidden width, then a final Linear (e.g. `[512, 512, 128]` is SimCLR's head
  /// 512→512→ReLU→128, parameters `0.weight`, `0.bias`, `2.weight`, `2.bias`).
  public static func mlp(_ widths: [Int], bias: Bool = true, batchNorm: Bool = false, rng: inout RandomGenerator) -> Sequential {
    precondition(widths.count >= 2, "mlp: needs at least input and output widths")
    var layers = [any Layer]()
    for i in 0..<(widths.count - 1) {
      layers.append(Linear(inFeatures: widths[i], outFeatures: widths[i + 1], bias: bias, rng: &rng))
      if i < widths.count - 2 {
        if batchNorm { layers.append(BatchNorm(features: widths[i + 1])) }
        layers.append(ReLU())
      }
    }
    return Sequential(layers)
  }
}
