import Engine
import RunFormat

/// Attacks run one after another, each only on the examples no earlier one fooled — how
/// AutoAttack chains its attacks and how APGD-T and FAB-T go through their target
/// classes. An example is fooled when any stage fools it; the point returned is the
/// fooling stage's, or the first stage's strongest point when none does.
///
/// Stage s draws from `randomness[i].stream(s)`, so each stage's draws depend on the
/// seed and the example only, whichever examples earlier stages removed.
struct StagedAttack: Sendable {
  /// One stage: its name in the report, its attack and its random stream index.
  struct Stage: Sendable {
    var name: String
    var attack: any AdversarialAttack
    var stream: UInt64
  }

  var stages: [Stage]

  func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images x: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    let n = classifier.inputSize
    let count = labels.count
    var result = AttackRun(
      adversarial: x, fooled: [Bool](repeating: false, count: count),
      losses: [Double](repeating: -.infinity, count: count), lossTrace: [], zeroGradientEntries: 0,
      gradientEntries: 0, stages: [], brokenBy: [Int?](repeating: nil, count: count))
    var remaining = Array(0..<count)
    for (index, stage) in stages.enumerated() {
      guard !remaining.isEmpty else {
        result.stages.append(StageAccount(name: stage.name))
        continue
      }
      var (run, account) = StageAccount.measuring(stage.name, on: classifier) {
        stage.attack.run(
          on: $0, images: AttackMath.gatherRows(x, remaining, width: n), labels: remaining.map { labels[$0] },
          randomness: remaining.map { randomness[$0].stream(stage.stream) })
      }
      account.attacked = remaining.count
      defer { result.stages.append(account) }
      if index == 0 { result.lossTrace = run.lossTrace }
      result.zeroGradientEntries += run.zeroGradientEntries
      result.gradientEntries += run.gradientEntries
      var survivors = [Int]()
      for (k, row) in remaining.enumerated() {
        if run.fooled[k] || index == 0 {
          AttackMath.copyRow(k, from: run.adversarial, toRow: row, of: &result.adversarial, width: n)
          result.losses[row] = run.losses[k]
        }
        if run.fooled[k] {
          result.fooled[row] = true
          result.brokenBy[row] = index
          account.fooled += 1
        } else {
          survivors.append(row)
        }
      }
      remaining = survivors
    }
    return result
  }
}

/// APGD-T: targeted APGD-DLR towards each of the `targets` classes with the largest clean
/// logits after the prediction (ranks 2 … targets + 1), each on the examples earlier
/// targets did not fool (fra31/auto-attack's `apgd-t`, torchattacks `APGDT`).
public struct APGDTargeted: AdversarialAttack {
  public var norm: PerturbationNorm
  public var epsilon: Float
  public var steps: Int
  public var targets: Int
  public var eotSamples: Int

  /// APGD-T with `targets` target classes (AutoAttack: 9, at most classes − 1).
  public init(norm: PerturbationNorm, epsilon: Float, steps: Int, targets: Int, eotSamples: Int = 1) {
    precondition(targets >= 1, "APGDTargeted: no target classes")
    self.norm = norm
    self.epsilon = epsilon
    self.steps = steps
    self.targets = targets
    self.eotSamples = eotSamples
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    precondition(targets < classifier.classCount, "APGDTargeted: more targets than other classes")
    return StagedAttack.overTargets(targets) { rank in
      APGD(norm: norm, epsilon: epsilon, steps: steps, loss: .targetedDLR(rank: rank), eotSamples: eotSamples)
    }.run(on: classifier, images: images, labels: labels, randomness: randomness).withoutStages
  }
}

/// FAB-T: targeted FAB towards each of the `targets` classes with the largest clean
/// logits after the prediction, each on the examples earlier targets did not fool.
public struct FABTargeted: AdversarialAttack {
  public var norm: PerturbationNorm
  public var epsilon: Float
  public var steps: Int
  public var targets: Int
  public var randomStart = false

  /// FAB-T with `targets` target classes (AutoAttack: 9, at most classes − 1).
  public init(norm: PerturbationNorm, epsilon: Float, steps: Int, targets: Int) {
    precondition(targets >= 1, "FABTargeted: no target classes")
    self.norm = norm
    self.epsilon = epsilon
    self.steps = steps
    self.targets = targets
  }

  public func forRestart(_ restart: Int) -> any AdversarialAttack {
    var attack = self
    attack.randomStart = restart > 0
    return attack
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    precondition(targets < classifier.classCount, "FABTargeted: more targets than other classes")
    return StagedAttack.overTargets(targets) { rank in
      FAB(norm: norm, epsilon: epsilon, steps: steps, targetRank: rank, randomStart: randomStart)
    }.run(on: classifier, images: images, labels: labels, randomness: randomness).withoutStages
  }
}

extension StagedAttack {
  /// One stage per target class, ranks 2 … `targets` + 1 of the clean logits, the stage
  /// of rank r drawing from stream r.
  static func overTargets(_ targets: Int, _ attack: (Int) -> any AdversarialAttack) -> StagedAttack {
    StagedAttack(
      stages: (2...targets + 1).map { Stage(name: "target \($0)", attack: attack($0), stream: UInt64($0)) })
  }
}

extension AttackRun {
  /// The run as one attack: the target classes of APGD-T and FAB-T are not stages of
  /// the report.
  var withoutStages: AttackRun {
    var run = self
    run.stages = []
    run.brokenBy = []
    return run
  }
}
