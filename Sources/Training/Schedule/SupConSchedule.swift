import Engine
import Foundation
import RunFormat

extension LearningRateSchedule {
  /// The learning rate of every optimizer step of a run, as SupContrast sets it: during
  /// epoch e (1-based) a cosine per epoch, η_min + (lr − η_min)(1 + cos(π·e/E))/2; in the
  /// first `warmupEpochs` epochs instead a linear ramp per step from `warmupFrom` to the
  /// cosine value at epoch `warmupEpochs` (`util.py`'s `adjust_learning_rate` and
  /// `warmup_learning_rate`).
  public static func supContrast(_ settings: OptimizationSettings) -> LearningRateSchedule {
    let (lr, minimum) = (settings.learningRate, settings.minimumLearningRate)
    let (epochs, perEpoch) = (settings.epochs, max(1, settings.stepsPerEpoch))
    let (warm, from) = (settings.warmupEpochs, settings.warmupFrom)
    @Sendable func cosine(_ epoch: Int) -> Double {
      minimum + (lr - minimum) * (1 + Foundation.cos(Double.pi * Double(epoch) / Double(epochs))) / 2
    }
    let warmTo = cosine(warm)
    return LearningRateSchedule { step in
      let epoch = step / perEpoch + 1
      if warm > 0 && epoch <= warm {
        let progress = Double(step) / Double(warm * perEpoch)
        return Float(from + progress * (warmTo - from))
      }
      return Float(cosine(epoch))
    }
  }
}
