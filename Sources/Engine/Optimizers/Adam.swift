import Foundation

/// Adam (Kingma & Ba) with coupled L2 weight decay, or AdamW (Loshchilov & Hutter) with
/// decoupled decay, step for step as `torch.optim.Adam` / `torch.optim.AdamW`:
///
///     Adam:  g ← g + wd·w          AdamW: w ← w·(1 − lr·wd)
///     m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
///     w ← w − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)
public final class Adam: Optimizer {
  public var learningRate: Float
  /// Decay of the first-moment estimate.
  public let beta1: Float
  /// Decay of the second-moment estimate.
  public let beta2: Float
  /// Added to the denominator.
  public let eps: Float
  /// L2 (Adam) or decoupled (AdamW) weight decay of each parameter.
  public let weightDecays: [Float]
  /// Decoupled weight decay (AdamW) instead of an L2 term in the gradient.
  public let decoupledWeightDecay: Bool
  public let parameters: [Parameter]
  private var firstMoments: SlotStorage
  private var secondMoments: SlotStorage
  private var steps: [Int]

  /// Adam by default; `decoupledWeightDecay: true` gives AdamW (whose usual weight
  /// decay is 0.01).
  public convenience init(
    _ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
    weightDecay: Float = 0, decoupledWeightDecay: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps,
      weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
  }

  /// An optimizer for parameter groups; a group without its own weight decay uses
  /// `weightDecay`.
  public init(
    groups: [ParameterGroup], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
    weightDecay: Float = 0, decoupledWeightDecay: Bool = false
  ) {
    let flat = ParameterGroup.flatten(groups, defaultWeightDecay: weightDecay)
    self.parameters = flat.parameters
    self.weightDecays = flat.weightDecays
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    self.decoupledWeightDecay = decoupledWeightDecay
    firstMoments = SlotStorage(count: parameters.count)
    secondMoments = SlotStorage(count: parameters.count)
    steps = Array(repeating: 0, count: parameters.count)
  }

  public var state: OptimizerState {
    get {
      OptimizerState(buffers: ["exp_avg": firstMoments.slots, "exp_avg_sq": secondMoments.slots], counts: ["step": steps])
    }
    set {
      let sizes = parameters.map(\.value.count)
      firstMoments = SlotStorage(restoring: newValue.buffers["exp_avg"], count: parameters.count, sizes: sizes)
      secondMoments = SlotStorage(restoring: newValue.buffers["exp_avg_sq"], count: parameters.count, sizes: sizes)
      let counts = newValue.counts["step"] ?? Array(repeating: 0, count: parameters.count)
      precondition(counts.count == parameters.count, "optimizer state: step counts do not match the parameters")
      steps = counts
    }
  }

  /// One Adam/AdamW update of every parameter with a gradient.
  public func step() {
    let (lr, b1, b2, eps, decoupled) = (learningRate, beta1, beta2, self.eps, decoupledWeightDecay)
    let decays = weightDecays
    forEachUpdate(parameters) { index, w, g in
      let wd = decays[index]
      steps[index] += 1
      let t = Float(steps[index])
      let stepSize = lr / (1 - Foundation.pow(b1, t))
      let correction2 = (1 - Foundation.pow(b2, t)).squareRoot()
      firstMoments.with(index, count: w.count) { m, _ in
        secondMoments.with(index, count: w.count) { v, _ in
          for i in 0..<w.count {
            var d = g[i]
            if decoupled { w[i] *= 1 - lr * wd } else { d += wd * w[i] }
            m[i] += (d - m[i]) * (1 - b1)
            v[i] = b2 * v[i] + (1 - b2) * d * d
            w[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
          }
        }
      }
    }
  }
}
