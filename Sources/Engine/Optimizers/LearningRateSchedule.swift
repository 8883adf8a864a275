import Foundation

/// A learning rate as a function of the step (or epoch) index, starting at 0; build one
/// from the factories and combinators and set `optimizer.learningRate = schedule(step)`.
///
/// ```swift
/// // SupCon: cosine per epoch, 10 warm-up epochs from 0.01 to the cosine value at epoch 10
/// let perEpoch = LearningRateSchedule.cosine(base: 0.5, steps: 1000, minimum: 0.5 * 1e-3)
/// // FNC: linear warm-up from 0 over W steps, then cosine to 0 over the remaining T − W steps
/// let fnc = LearningRateSchedule.cosine(base: 6.4, steps: T - W).delayed(by: W).afterWarmup(steps: W, from: 0)
/// ```
public struct LearningRateSchedule: Sendable {
  private let rate: @Sendable (Int) -> Float

  /// A schedule from any function of the step.
  public init(_ rate: @escaping @Sendable (Int) -> Float) { self.rate = rate }

  /// The learning rate at `step`.
  public func callAsFunction(_ step: Int) -> Float { rate(step) }

  /// The same rate at every step.
  public static func constant(_ base: Float) -> LearningRateSchedule { LearningRateSchedule { _ in base } }

  /// Cosine annealing (`CosineAnnealingLR`'s closed form):
  /// minimum + (base − minimum)·(1 + cos(π·t/steps))/2.
  public static func cosine(base: Float, steps: Int, minimum: Float = 0) -> LearningRateSchedule {
    precondition(steps > 0, "cosine schedule: steps must be positive")
    return LearningRateSchedule { t in
      minimum + (base - minimum) * Float((1 + Foundation.cos(Double.pi * Double(t) / Double(steps))) / 2)
    }
  }

  /// Multiplies by `gamma` at each milestone passed (`MultiStepLR`): base·γ^|{m ≤ t}|.
  public static func multiStep(base: Float, milestones: [Int], gamma: Float) -> LearningRateSchedule {
    LearningRateSchedule { t in base * Foundation.pow(gamma, Float(milestones.filter { $0 <= t }.count)) }
  }

  /// Multiplies this schedule by a factor rising linearly from `startFactor` to 1 over
  /// `steps` steps (PyTorch's `LinearLR` chained with this schedule).
  public func withLinearWarmup(steps: Int, startFactor: Float) -> LearningRateSchedule {
    precondition(steps > 0, "warm-up steps must be positive")
    let base = self
    return LearningRateSchedule { t in
      base(t) * (startFactor + (1 - startFactor) * Float(Swift.min(t, steps)) / Float(steps))
    }
  }

  /// Linear warm-up from `start` to this schedule's value at step `steps`, then this
  /// schedule (SupCon's and SelfCon's per-step warm-up, FNC's from 0).
  public func afterWarmup(steps: Int, from start: Float) -> LearningRateSchedule {
    precondition(steps > 0, "warm-up steps must be positive")
    let base = self
    let target = base(steps)
    return LearningRateSchedule { t in
      t < steps ? start + (target - start) * Float(t) / Float(steps) : base(t)
    }
  }

  /// This schedule started `steps` steps later (its value at step t is the original's at
  /// t − steps; before that, its first value).
  public func delayed(by steps: Int) -> LearningRateSchedule {
    let base = self
    return LearningRateSchedule { t in base(Swift.max(0, t - steps)) }
  }
}
