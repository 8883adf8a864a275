import Engine
import Foundation
import RunFormat

extension RobustnessReport.AttackRecord {
  /// The record of the attack `settings` describe.
  init(_ settings: RobustnessSettings) {
    var stepSize: Double?
    var stepSizeFactor: Double?
    switch (settings.attack, settings.stepSize) {
    case (.apgd, _): break
    case (.pgd, .absolute(let alpha)): stepSize = Double(alpha)
    case (.pgd, .relative(let factor)): stepSizeFactor = Double(factor)
    }
    let randomStart =
      switch (settings.attack, settings.norm, settings.randomStart) {
      case (.apgd, _, _): "autoattack_sphere"
      case (.pgd, _, false): "none"
      case (.pgd, .linf, true): "uniform_box"
      case (.pgd, .l2, true): "torchattacks_l2"
      }
    self.init(
      name: settings.attack.rawValue, loss: "cross_entropy", steps: settings.steps, stepSize: stepSize,
      stepSizeFactor: stepSizeFactor, restarts: settings.restarts, randomStart: randomStart,
      earlyExit: settings.attack == .pgd && settings.earlyExit, seed: settings.seed, batchSize: settings.batchSize,
      checkExamples: settings.checkExamples, noiseDraws: settings.noiseDraws,
      squareQueries: settings.runsSquareAttack ? settings.squareQueries : nil)
  }
}

/// The Wilson score 95% interval of `successes` out of `trials`.
func wilsonInterval(successes: Int, trials: Int) -> [Double] {
  guard trials > 0 else { return [0, 1] }
  let z = 1.959963984540054
  let n = Double(trials)
  let p = Double(successes) / n
  let denominator = 1 + z * z / n
  let center = (p + z * z / (2 * n)) / denominator
  let half = z / denominator * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
  return [max(0, center - half), min(1, center + half)]
}
