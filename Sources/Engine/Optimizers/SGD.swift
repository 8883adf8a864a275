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
  /// Coupled L2 weight decay.
  public let weightDecay: Float
  public let parameters: [Parameter]
  private var buffers: SlotStorage

  /// An optimizer for `parameters` with `torch.optim.SGD`'s settings.
  public init(
    _ parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
    weightDecay: Float = 0
  ) {
    precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and no dampening")
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    buffers = SlotStorage(count: parameters.count)
  }

  /// One SGD update of every parameter with a gradient.
  public func step() {
    let (lr, mu, wd, damp, nesterov) = (learningRate, momentum, weightDecay, dampening, self.nesterov)
    forEachUpdate(parameters) { index, w, g in
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
