import Engine

/// An attack with restarts on one batch: what survives, and the points to keep.
struct RestartOutcome {
  /// Per batch row: fooled by some restart (rows that were not attacked stay false).
  var fooled: [Bool]
  /// Per batch row: the first fooling point, else the highest-loss point over the
  /// restarts; rows that were not attacked keep their input.
  var adversarial: [Float]
  /// Mean loss at the first and last iteration of the first restart, and its example count.
  var firstLoss = 0.0
  var lastLoss = 0.0
  var traceExamples = 0
  var zeroGradientEntries = 0
  var gradientEntries = 0
  /// A staged attack's stages, summed over the restarts (empty for a single attack).
  var stages: [StageAccount] = []
  /// Per batch row, the stage that fooled it (nil: not fooled, or a single attack).
  var brokenBy: [Int?]
}

/// Runs `attack` up to `restarts` times on batch rows `targets`, each restart only on the
/// rows no earlier restart has fooled. Row r's draws come from
/// `stream.stream(restart).stream(examples[r])`, so they depend on the example's index in
/// the evaluation, never on the batch it fell into.
func attackWithRestarts<Classifier: AttackableClassifier>(
  _ attack: any AdversarialAttack, restarts: Int, classifier: Classifier, images: [Float],
  labels: [Int], targets: [Int], examples: [Int], stream: RandomGenerator
) -> RestartOutcome {
  let n = classifier.inputSize
  var outcome = RestartOutcome(
    fooled: [Bool](repeating: false, count: labels.count), adversarial: images,
    brokenBy: [Int?](repeating: nil, count: labels.count))
  var bestLoss = [Double](repeating: -.infinity, count: labels.count)
  var remaining = targets
  for restart in 0..<restarts where !remaining.isEmpty {
    let restartStream = stream.stream(UInt64(restart))
    let randomness = remaining.map { restartStream.stream(UInt64(examples[$0])) }
    let run = attack.forRestart(restart).run(
      on: classifier, images: AttackMath.gatherRows(images, remaining, width: n),
      labels: remaining.map { labels[$0] },
      randomness: randomness)
    if restart == 0, let first = run.lossTrace.first, let last = run.lossTrace.last {
      outcome.firstLoss = first
      outcome.lastLoss = last
      outcome.traceExamples = remaining.count
    }
    outcome.zeroGradientEntries += run.zeroGradientEntries
    outcome.gradientEntries += run.gradientEntries
    if outcome.stages.isEmpty {
      outcome.stages = run.stages
    } else {
      for s in run.stages.indices { outcome.stages[s].add(run.stages[s]) }
    }
    var survivors = [Int]()
    for (k, row) in remaining.enumerated() {
      if run.fooled[k] || run.losses[k] > bestLoss[row] {
        AttackMath.copyRow(k, from: run.adversarial, toRow: row, of: &outcome.adversarial, width: n)
        bestLoss[row] = run.losses[k]
      }
      if run.fooled[k] {
        outcome.fooled[row] = true
        if !run.brokenBy.isEmpty { outcome.brokenBy[row] = run.brokenBy[k] }
      } else {
        survivors.append(row)
      }
    }
    remaining = survivors
  }
  return outcome
}
