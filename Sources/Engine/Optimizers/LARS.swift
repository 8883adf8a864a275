import Foundation

/// Layer-wise Adaptive Rate Scaling (You et al.), in the classic-momentum form of
/// SimCLR/FNC's `lars_optimizer.py`, per parameter w with gradient g:
///
///     g ← g + wd·w                        (wd of the parameter's group)
///     trust = η·‖w‖/‖g‖ if both norms > 0, else 1   (1 for groups that do not adapt)
///     v ← μ·v + lr·trust·g;  w ← w − v   (Nesterov: w ← w − (μ·v + lr·trust·g))
///
/// SimCLR excludes BatchNorm scales and shifts and biases from both weight decay and
/// adaptation (`ParameterGroup.excludingNormAndBias`).
public final class LARS: Optimizer {
  public var learningRate: Float
  /// Momentum μ.
  public let momentum: Float
  /// Trust coefficient η (eeta).
  public let trustCoefficient: Float
  /// Weight decay added to the gradient of each parameter.
  public let weightDecays: [Float]
  /// Nesterov-style update.
  public let nesterov: Bool
  public let parameters: [Parameter]
  /// Per parameter: whether the trust ratio scales its update.
  public let adapts: [Bool]
  private var velocities: SlotStorage

  /// An optimizer for `parameters`; `excluded` (default: the one-dimensional ones) get
  /// neither weight decay nor adaptation. The defaults are SimCLR/FNC's.
  public convenience init(
    _ parameters: [Parameter], learningRate: Float, momentum: Float = 0.9, trustCoefficient: Float = 0.001,
    weightDecay: Float = 0, nesterov: Bool = false, excluded: [Bool]? = nil
  ) {
    precondition(excluded == nil || excluded!.count == parameters.count, "LARS: one exclusion flag per parameter")
    let flags = excluded ?? parameters.map { $0.shape.count <= 1 }
    let groups = zip(parameters, flags).map { parameter, skip in
      skip ? ParameterGroup([parameter], weightDecay: 0, adaptsLearningRate: false) : ParameterGroup([parameter])
    }
    self.init(
      groups: groups, learningRate: learningRate, momentum: momentum, trustCoefficient: trustCoefficient,
      weightDecay: weightDecay, nesterov: nesterov)
  }

  /// An optimizer for parameter groups; a group without its own weight decay uses
  /// `weightDecay`.
  public init(
    groups: [ParameterGroup], learningRate: Float, momentum: Float = 0.9, trustCoefficient: Float = 0.001,
    weightDecay: Float = 0, nesterov: Bool = false
  ) {
    let flat = ParameterGroup.flatten(groups, defaultWeightDecay: weightDecay)
    self.parameters = flat.parameters
    self.weightDecays = flat.weightDecays
    self.adapts = flat.adapts
    self.learningRate = learningRate
    self.momentum = momentum
    self.trustCoefficient = trustCoefficient
    self.nesterov = nesterov
    velocities = SlotStorage(count: parameters.count)
  }

  public var state: OptimizerState {
    get { OptimizerState(buffers: ["momentum_buffer": velocities.slots]) }
    set {
      velocities = SlotStorage(
        restoring: newValue.buffers["momentum_buffer"], count: parameters.count, sizes: parameters.map(\.value.count))
    }
  }

  /// One LARS update of every parameter with a gradient.
  public func step() {
    let (lr, mu, eta, nesterov) = (learningRate, momentum, trustCoefficient, self.nesterov)
    let (decays, adapts) = (weightDecays, self.adapts)
    forEachUpdate(parameters) { index, w, g in
      let wd = decays[index]
      var decayed = [Float](repeating: 0, count: w.count)
      var weightNorm = 0.0
      var gradientNorm = 0.0
      for i in 0..<w.count {
        decayed[i] = g[i] + wd * w[i]
        weightNorm += Double(w[i]) * Double(w[i])
        gradientNorm += Double(decayed[i]) * Double(decayed[i])
      }
      var trust: Float = 1
      if adapts[index] && weightNorm > 0 && gradientNorm > 0 {
        trust = eta * Float(weightNorm.squareRoot() / gradientNorm.squareRoot())
      }
      let scaled = lr * trust
      velocities.with(index, count: w.count) { v, _ in
        for i in 0..<w.count {
          v[i] = mu * v[i] + scaled * decayed[i]
          w[i] -= nesterov ? mu * v[i] + scaled * decayed[i] : v[i]
        }
      }
    }
  }
}
