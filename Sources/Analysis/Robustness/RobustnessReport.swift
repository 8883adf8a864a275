import Engine
import Foundation
import RunFormat

extension RobustnessReport.AttackRecord {
  /// The record of the attack `settings` describe.
  init(_ settings: RobustnessSettings) {
    let attack = settings.attack
    var stepSize: Double?
    var stepSizeFactor: Double?
    switch (attack, settings.stepSize) {
    case (.pgd, .absolute(let alpha)): stepSize = Double(alpha)
    case (.pgd, .relative(let factor)): stepSizeFactor = Double(factor)
    default: break
    }
    let randomStart =
      switch (attack, settings.norm, settings.randomStart) {
      case (.pgd, _, false): "none"
      case (.pgd, .linf, true): "uniform_box"
      case (.pgd, .l2, true): "torchattacks_l2"
      case (.apgd, _, _), (.apgdDLR, _, _), (.apgdT, _, _): "autoattack_sphere"
      case (.fab, _, _), (.fabT, _, _): "image_then_half_eps_sphere"
      case (.square, _, _): "square_init"
      case (.autoattack, _, _): "per_attack"
      }
    let loss =
      switch attack {
      case .pgd, .apgd: "cross_entropy"
      case .apgdDLR: "dlr"
      case .apgdT: "targeted_dlr"
      case .fab, .fabT: "boundary_distance"
      case .square: "margin"
      case .autoattack: settings.version == .standard ? "ce_dlr_boundary_margin" : "ce_dlr"
      }
    let targeted = attack == .apgdT || attack == .fabT || (attack == .autoattack && settings.version == .standard)
    let squares = attack == .square || (attack == .autoattack && settings.version == .standard)
    self.init(
      name: attack.rawValue, loss: loss, steps: settings.steps, stepSize: stepSize,
      stepSizeFactor: stepSizeFactor, restarts: settings.restarts, randomStart: randomStart,
      earlyExit: attack == .pgd && settings.earlyExit, seed: settings.seed, batchSize: settings.batchSize,
      checkExamples: settings.checkExamples, noiseDraws: settings.noiseDraws,
      squareQueries: settings.runsSquareAttack ? settings.squareQueries : nil,
      version: attack == .autoattack ? settings.version.rawValue : nil, targets: targeted ? settings.targets : nil,
      queries: squares ? settings.queries : nil,
      eotSamples: attack == .autoattack && settings.version == .rand ? settings.eotSamples : nil)
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
