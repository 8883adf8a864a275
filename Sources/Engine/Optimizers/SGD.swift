/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and coupled
/// L2 weight decay, step for step as `torch.optim.SGD`:
///
///     g ← g + wd·w;  b ← g (first step) or μ·b + (1 − dampening)·g
///     g ← g + μ·b (Nesterov) or b;  w ← w − lr·g
public final class SGD: Optimizer {
  public var learningRate: Float
  /// Momentum μ (0: plain SGD).
  public let momentum: Float
  /// Dampening of new gradients in the momentum buffer.
  public let dampening: Float
  /// Nesterov momentum.
  public let nesterov: Bool
  /// Coupled L2 weight decay of each parameter (the group's, or the optimizer's).
  public let weightDecays: [Float]
  public let parameters: [Parameter]
  private var buffers: SlotStorage

  /// An optimizer for `parameters` with `torch.optim.SGD`'s settings.
  public convenience init(
    _ parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
    weightDecay: Float = 0
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, momentum: momentum, dampening: dampening,
      nesterov: nesterov, weightDecay: weightDecay)
  }

  /// An optimizer for parameter groups; a group without its own weight decay uses
  /// `weightDecay`.
  public init(
    groups: [ParameterGroup], learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
    weightDecay: Float = 0
  ) {
    precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and no dampening")
    let flat = ParameterGroup.flatten(groups, defaultWeightDecay: weightDecay)
    self.parameters = flat.parameters
    self.weightDecays = flat.weightDecays
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    buffers = SlotStorage(count: parameters.count)
  }

  public var state: OptimizerState {
    get { OptimizerState(buffers: momentum == 0 ? [:] : ["momentum_buffer": buffers.slots]) }
    set {
      buffers = SlotStorage(
        restoring: newValue.buffers["momentum_buffer"], count: parameters.count, sizes: parameters.map(\.value.count))
    }
  }

  /// One SGD update of every parameter with a gradient.
  public func step() {
    let (lr, mu, damp, nesterov) = (learningRate, momentum, dampening, self.nesterov)
    let decays = weightDecays
    forEachUpdate(parameters) { index, w, g in
      let wd = decays[index]
      if mu == 0 {
        for i in 0..<w.count { w[i] -= lr * (g[i] + wd * w[i]) }
        return
      }
      buffers.with(index, count: w.count) { b, fresh in
        for i in 0..<w.count {
          let d = g[i] + wd * w[i]
          b[i] = fresh ? d : mu * b[i] + (1 - damp) * d
          w[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
        }
      }
    }
  }
}
