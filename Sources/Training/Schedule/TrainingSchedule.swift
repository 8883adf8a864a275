import Engine
import Foundation
import RunFormat

/// The learning-rate schedules training runs use, by their `config.json` names.
public enum TrainingSchedule: String, Sendable, CaseIterable {
  /// A cosine over optimizer steps, lr(t) = η_min + (lr − η_min)(1 + cos(π·t/T))/2
  /// (SimCLR's and solo-learn's), after an optional linear warm-up.
  case cosineStep = "cosine-step"
  /// SupContrast's cosine, stepped at each epoch start: during epoch e (1-based)
  /// η_min + (lr − η_min)(1 + cos(π·e/E))/2, so the last epoch runs at η_min.
  case cosineEpoch = "cosine-epoch"

  /// The learning rate of every optimizer step of a run. Warm-up (both schedules) is
  /// SupContrast's: a linear ramp per step from `warmupFrom` to the schedule's value at
  /// the end of `warmupEpochs` (`util.py`'s `warmup_learning_rate`).
  public func rates(_ settings: OptimizationSettings) -> LearningRateSchedule {
    let (lr, minimum) = (settings.learningRate, settings.minimumLearningRate)
    let perEpoch = max(1, settings.stepsPerEpoch)
    let total = max(1, settings.epochs * perEpoch)
    let (epochs, warmSteps, from) = (settings.epochs, settings.warmupEpochs * perEpoch, settings.warmupFrom)
    let kind = self
    @Sendable func cosine(_ step: Int) -> Double {
      let fraction =
        switch kind {
        case .cosineStep: Double(step) / Double(total)
        case .cosineEpoch: Double(step / perEpoch + 1) / Double(epochs)
        }
      return minimum + (lr - minimum) * (1 + Foundation.cos(Double.pi * fraction)) / 2
    }
    let warmTo = kind == .cosineStep ? cosine(warmSteps) : cosine(warmSteps - 1)
    return LearningRateSchedule { step in
      if step < warmSteps { return Float(from + Double(step) / Double(warmSteps) * (warmTo - from)) }
      return Float(cosine(step))
    }
  }
}
