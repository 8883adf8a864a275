import Engine
import RunFormat

/// APGD (Croce & Hein 2020), the step-size-free PGD of AutoAttack, as torchattacks 3.5.1
/// `APGD` (cross-entropy or DLR loss) and `APGDT` (one target class) run one restart of it.
///
/// - Start: ε·t/‖t‖∞ with t ~ U(−1, 1)ⁿ (l-inf) or ε·t/‖t‖₂ with t Gaussian (l2), clipped.
/// - Step size η = 2ε per example; the update mixes the projected gradient step z with the
///   previous move: x ← P(x + a·(z − x) + (1 − a)·(x − x_prev)), a = 1 at the first
///   iteration and 0.75 afterwards.
/// - Checkpoints after max(⌊0.22·N⌋, 1) iterations, then at intervals shrinking by
///   max(⌊0.03·N⌋, 1) down to max(⌊0.06·N⌋, 1). At a checkpoint an example halves η and
///   goes back to its best point when its loss rose in at most ρ = 0.75 of the steps since
///   the last checkpoint, or when η was not halved last time and the best loss did not
///   improve.
/// - With `eotSamples` > 1 (AutoAttack's `rand` version, for randomised models) each
///   gradient is the mean over that many forward/backward passes (expectation over
///   transformation); losses and predictions are the last pass's.
///
/// An example counts as fooled when any iterate (the start included) is misclassified;
/// that iterate is returned. Otherwise the highest-loss point is returned.
public struct APGD: AdversarialAttack {
  /// The objective APGD maximises.
  public enum Loss: Sendable, Equatable {
    /// Cross-entropy (APGD-CE).
    case crossEntropy
    /// The untargeted difference-of-logits ratio (APGD-DLR; at least 3 classes).
    case dlr
    /// The targeted DLR towards the class with the `rank`-th largest clean logit (rank 2
    /// is the runner-up; APGD-T runs ranks 2, 3, …; at least 4 classes).
    case targetedDLR(rank: Int)
  }

  public var norm: PerturbationNorm
  public var epsilon: Float
  public var steps: Int
  public var loss: Loss
  /// Gradient samples averaged per iteration (1 for a deterministic model).
  public var eotSamples: Int
  /// ρ, the fraction of loss increases below which the step size is halved.
  public var rho: Double

  /// APGD with `steps` iterations (AutoAttack uses 100; torchattacks' default is 10).
  public init(
    norm: PerturbationNorm, epsilon: Float, steps: Int, loss: Loss = .crossEntropy,
    eotSamples: Int = 1, rho: Double = 0.75
  ) {
    precondition(epsilon >= 0 && steps >= 1 && eotSamples >= 1, "APGD: negative epsilon or no steps")
    if case .targetedDLR(let rank) = loss { precondition(rank >= 2, "APGD: target rank below 2") }
    self.norm = norm
    self.epsilon = epsilon
    self.steps = steps
    self.loss = loss
    self.eotSamples = eotSamples
    self.rho = rho
  }

  /// The per-example losses and their logit gradient for logits `z`.
  private func objective(
    _ z: [Float], labels: [Int], targets: [Int], classCount: Int
  ) -> (losses: [Double], gradient: [Float]) {
    switch loss {
    case .crossEntropy:
      let ce = CrossEntropy(logits: z, labels: labels, classCount: classCount)
      return (ce.losses, ce.logitGradient)
    case .dlr:
      let dlr = DLRLoss(logits: z, labels: labels, classCount: classCount)
      return (dlr.losses, dlr.logitGradient)
    case .targetedDLR:
      let dlr = DLRLoss(logits: z, labels: labels, targets: targets, classCount: classCount)
      return (dlr.losses, dlr.logitGradient)
    }
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images x: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    let n = classifier.inputSize
    let classes = classifier.classCount
    let count = labels.count
    precondition(x.count == count * n, "APGD: images do not match labels")
    let firstCheckpoint = max(Int(0.22 * Double(steps)), 1)
    let shortestInterval = max(Int(0.06 * Double(steps)), 1)
    let intervalDecrease = max(Int(0.03 * Double(steps)), 1)

    var targets = [Int]()
    if case .targetedDLR(let rank) = loss {
      precondition(rank <= classes, "APGD: target rank beyond the classes")
      targets = AttackMath.rankedClasses(classifier.logits(x, count: count), classCount: classes, rank: rank)
    }
    var current = x
    AttackMath.startOnSphere(&current, randomness: randomness, norm: norm, radius: epsilon, inputSize: n)
    var zeroEntries = 0
    var entries = 0
    func evaluate(_ points: [Float]) -> (losses: [Double], gradient: [Float], correct: [Bool]) {
      var losses = [Double]()
      var gradient = [Float]()
      var logits = [Float]()
      for sample in 0..<eotSamples {
        let result = classifier.inputGradient(points, count: count) { z in
          let value = objective(z, labels: labels, targets: targets, classCount: classes)
          losses = value.losses
          return value.gradient
        }
        logits = result.logits
        if sample == 0 {
          gradient = result.gradient
        } else {
          for j in gradient.indices { gradient[j] += result.gradient[j] }
        }
      }
      if eotSamples > 1 {
        let scale = 1 / Float(eotSamples)
        for j in gradient.indices { gradient[j] *= scale }
      }
      for g in gradient where g == 0 { zeroEntries += 1 }
      entries += gradient.count
      let predicted = AttackMath.predictions(logits, classCount: classes)
      return (losses, gradient, (0..<count).map { predicted[$0] == labels[$0] })
    }

    var (loss, gradient, correct) = evaluate(current)
    var robust = correct
    var best = current
    var bestFooling = current
    var bestGradient = gradient
    var bestLoss = loss
    var stepSize = [Float](repeating: 2 * epsilon, count: count)
    var previous = current
    // lossSteps[i] is the loss after iteration i; like AutoAttack's buffer, it starts at
    // zero and the oscillation count reads index −1 as the (still zero) last row.
    var lossSteps = [[Double]](repeating: [Double](repeating: 0, count: count), count: steps)
    var lossTrace = [loss.reduce(0, +) / Double(max(count, 1))]
    var sinceCheckpoint = 0
    var interval = firstCheckpoint
    var bestAtLastCheckpoint = bestLoss
    var reducedAtLastCheckpoint = [Bool](repeating: true, count: count)

    for i in 0..<steps {
      let momentum: Float = i > 0 ? 0.75 : 1
      let moved = update(
        current, previous: previous, gradient: gradient, stepSize: stepSize, momentum: momentum,
        original: x, inputSize: n)
      previous = current
      current = moved

      (loss, gradient, correct) = evaluate(current)
      lossTrace.append(loss.reduce(0, +) / Double(max(count, 1)))
      for e in 0..<count where !correct[e] {
        robust[e] = false
        AttackMath.copyRow(e, from: current, to: &bestFooling, width: n)
      }
      lossSteps[i] = loss
      for e in 0..<count where loss[e] > bestLoss[e] {
        AttackMath.copyRow(e, from: current, to: &best, width: n)
        AttackMath.copyRow(e, from: gradient, to: &bestGradient, width: n)
        bestLoss[e] = loss[e]
      }

      sinceCheckpoint += 1
      if sinceCheckpoint == interval {
        for e in 0..<count {
          var increases = 0
          for back in 0..<interval {
            let later = i - back
            let earlier = (later - 1 + steps) % steps
            if lossSteps[later][e] > lossSteps[earlier][e] { increases += 1 }
          }
          let oscillating = Double(increases) <= Double(interval) * rho
          let noImprovement = !reducedAtLastCheckpoint[e] && bestAtLastCheckpoint[e] >= bestLoss[e]
          let reduce = oscillating || noImprovement
          reducedAtLastCheckpoint[e] = reduce
          if reduce {
            stepSize[e] /= 2
            AttackMath.copyRow(e, from: best, to: &current, width: n)
            AttackMath.copyRow(e, from: bestGradient, to: &gradient, width: n)
          }
        }
        bestAtLastCheckpoint = bestLoss
        sinceCheckpoint = 0
        interval = max(interval - intervalDecrease, shortestInterval)
      }
    }

    var adversarial = best
    for e in 0..<count where !robust[e] {
      AttackMath.copyRow(e, from: bestFooling, to: &adversarial, width: n)
    }
    return AttackRun(
      adversarial: adversarial, fooled: robust.map { !$0 }, losses: bestLoss, lossTrace: lossTrace,
      zeroGradientEntries: zeroEntries, gradientEntries: entries)
  }

  /// One APGD move of every example: projected step z, then the momentum mix, projected.
  private func update(
    _ current: [Float], previous: [Float], gradient: [Float], stepSize: [Float], momentum a: Float,
    original: [Float], inputSize n: Int
  ) -> [Float] {
    var result = [Float](repeating: 0, count: current.count)
    let eps = epsilon
    var z = [Float](repeating: 0, count: n)
    for row in 0..<stepSize.count {
      let base = row * n
      let eta = stepSize[row]
      switch norm {
      case .linf:
        for j in 0..<n {
          let xj = current[base + j]
          let x0 = original[base + j]
          let g = gradient[base + j]
          let sign: Float = g > 0 ? 1 : (g < 0 ? -1 : 0)
          let low = x0 - eps
          let high = x0 + eps
          let step = AttackMath.clamp(min(max(xj + eta * sign, low), high), 0, 1)
          let mixed = xj + (step - xj) * a + (xj - previous[base + j]) * (1 - a)
          result[base + j] = AttackMath.clamp(min(max(mixed, low), high), 0, 1)
        }
      case .l2:
        let gradientNorm =
          gradient.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress! + base, n) } + 1e-12
        for j in 0..<n {
          z[j] = current[base + j] + eta * gradient[base + j] / gradientNorm - original[base + j]
        }
        let stepNorm = z.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, n) }
        let stepScale = min(eps, stepNorm)
        for j in 0..<n {
          let projected = AttackMath.clamp(
            original[base + j] + z[j] / (stepNorm + 1e-12) * stepScale, 0, 1)
          let xj = current[base + j]
          z[j] =
            xj + (projected - xj) * a + (xj - previous[base + j]) * (1 - a) - original[base + j]
        }
        let mixNorm = z.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, n) }
        let mixScale = min(eps, mixNorm + 1e-12)
        for j in 0..<n {
          result[base + j] = AttackMath.clamp(
            original[base + j] + z[j] / (mixNorm + 1e-12) * mixScale, 0, 1)
        }
      }
    }
    return result
  }
}
