import Foundation

/// Layer-wise Adaptive Rate Scaling (You et al.), in the classic-momentum form of
/// SimCLR/FNC's `lars_optimizer.py`, per parameter w with gradient g:
///
///     g ← g + wd·w                        (unless excluded)
///     trust = η·‖w‖/‖g‖ if both norms > 0, else 1   (1 when excluded)
///     v ← μ·v + lr·trust·g;  w ← w − v   (Nesterov: w ← w − (μ·v + lr·trust·g))
///
/// Excluded parameters (by default the one-dimensional ones: BatchNorm scales and
/// shifts, biases) get neither weight decay nor trust scaling.
public final class LARS: Optimizer {
  public var learningRate: Float
  /// Momentum μ.
  public let momentum: Float
  /// Trust coefficient η (eeta).
  public let trustCoefficient: Float
  /// Weight decay added to the gradient of non-excluded parameters.
  public let weightDecay: Float
  /// Nesterov-style update.
  public let nesterov: Bool
  public let parameters: [Parameter]
  /// Per parameter: excluded from weight decay and adaptation.
  public let excluded: [Bool]
  private var velocities: SlotStorage

  /// - Parameter excluded: one flag per parameter; default: one-dimensional parameters.
  /// An optimizer for `parameters`; the defaults are SimCLR/FNC's.
  public init(
    _ parameters: [Parameter], learningRate: Float, momentum: Float = 0.9, trustCoefficient: Float = 0.001,
    weightDecay: Float = 0, nesterov: Bool = false, excluded: [Bool]? = nil
  ) {
    precondition(excluded == nil || excluded!.count == parameters.count, "LARS: one exclusion flag per parameter")
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.trustCoefficient = trustCoefficient
    self.weightDecay = weightDecay
    self.nesterov = nesterov
    self.excluded = excluded ?? parameters.map { $0.shape.count <= 1 }
    velocities = SlotStorage(count: parameters.count)
  }

  /// One LARS update of every parameter with a gradient.
  public func step() {
    let (lr, mu, wd, eta, nesterov) = (learningRate, momentum, weightDecay, trustCoefficient, self.nesterov)
    let excluded = self.excluded
    forEachUpdate(parameters) { index, w, g in
      let skip = excluded[index]
      var decayed = [Float](repeating: 0, count: w.count)
      var weightNorm = 0.0
      var gradientNorm = 0.0
      for i in 0..<w.count {
        decayed[i] = skip ? g[i] : g[i] + wd * w[i]
        weightNorm += Double(w[i]) * Double(w[i])
        gradientNorm += Double(decayed[i]) * Double(decayed[i])
      }
      var trust: Float = 1
      if !skip && weightNorm > 0 && gradientNorm > 0 {
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
