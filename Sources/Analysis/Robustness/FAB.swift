import Engine
import RunFormat

/// FAB, the Fast Adaptive Boundary attack (Croce & Hein 2020), as torchattacks 3.5.1 `FAB`
/// runs one restart of it: a minimum-norm attack that counts an example as fooled when
/// the smallest misclassified point it finds lies within ε.
///
/// Each iteration linearises the model at the current point x₁: the decision boundary
/// towards the closest class (untargeted: the class k ≠ y minimising
/// |z_k − z_y| / ‖∇(z_k − z_y)‖_dual; targeted: the class with the `targetRank`-th largest
/// clean logit) becomes the hyperplane w·x = b. It projects both x₁ and the original
/// image x₀ onto it within the box (`FABProjection`), and moves to
/// (x₁ + η·d₁)(1 − α) + (x₀ + η·d₂)·α with α = min(‖d₁‖ / (‖d₁‖ + ‖d₂‖), α_max): a step
/// across the boundary biased towards the original image. A misclassified point is kept
/// when it is the closest so far and pulled back towards x₀ by β.
///
/// The first restart starts at the image; later ones (`forRestart`) start at a random
/// point at half of ε (l-inf: t/‖t‖∞ with t ~ U(−1, 1)ⁿ; l2: t/‖t‖₂ with t Gaussian).
/// Untargeted FAB takes one gradient per class per iteration, the targeted one a single
/// gradient.
public struct FAB: AdversarialAttack {
  public var norm: PerturbationNorm
  public var epsilon: Float
  public var steps: Int
  /// nil: untargeted; r: towards the class with the r-th largest clean logit (r ≥ 2).
  public var targetRank: Int?
  /// Whether to start from a random point (restarts after the first).
  public var randomStart: Bool
  /// α_max, η (overshoot) and β (pull-back), fra31's defaults.
  public var alphaMax: Float = 0.1
  public var overshoot: Float = 1.05
  public var pullBack: Float = 0.9

  public init(
    norm: PerturbationNorm, epsilon: Float, steps: Int, targetRank: Int? = nil, randomStart: Bool = false
  ) {
    precondition(epsilon >= 0 && steps >= 1, "FAB: negative epsilon or no steps")
    precondition((targetRank ?? 2) >= 2, "FAB: target rank below 2")
    self.norm = norm
    self.epsilon = epsilon
    self.steps = steps
    self.targetRank = targetRank
    self.randomStart = randomStart
  }

  public func forRestart(_ restart: Int) -> any AdversarialAttack {
    var attack = self
    attack.randomStart = restart > 0
    return attack
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images x0: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    let n = classifier.inputSize
    let classes = classifier.classCount
    let count = labels.count
    precondition(x0.count == count * n, "FAB: images do not match labels")
    let clean = classifier.logits(x0, count: count)
    let predicted = AttackMath.predictions(clean, classCount: classes)
    let targets = targetRank.map {
      precondition($0 <= classes, "FAB: target rank beyond the classes")
      return AttackMath.rankedClasses(clean, classCount: classes, rank: $0)
    }
    var current = x0
    if randomStart {
      AttackMath.startOnSphere(&current, randomness: randomness, norm: norm, radius: epsilon / 2, inputSize: n)
    }
    var distance = [Float](repeating: 1e10, count: count)
    var closest = x0

    for _ in 0..<steps {
      let boundary = linearisedBoundary(classifier, at: current, labels: labels, targets: targets)
      for row in 0..<count {
        let range = row * n..<(row + 1) * n
        let w = boundary.w[row]
        let point = current[range].map(Double.init)
        let origin = x0[range].map(Double.init)
        let b = -boundary.f[row] + zip(w, point).reduce(0) { $0 + $1.0 * $1.1 }
        let d1 = project(point, w: w, b: b)
        let d2 = project(origin, w: w, b: b)
        let a1 = max(size(d1), 1e-8)
        let a2 = max(size(d2), 1e-8)
        let alpha = Double(min(max(Float(a1 / (a1 + a2)), 0), alphaMax))
        let eta = Double(overshoot)
        for j in 0..<n {
          let moved = (point[j] + eta * d1[j]) * (1 - alpha) + (origin[j] + eta * d2[j]) * alpha
          current[row * n + j] = AttackMath.clamp(Float(moved), 0, 1)
        }
      }
      let now = AttackMath.predictions(classifier.logits(current, count: count), classCount: classes)
      for row in 0..<count where now[row] != labels[row] {
        let t = distanceNorm(current, x0, row: row, width: n)
        if t < distance[row] {
          AttackMath.copyRow(row, from: current, to: &closest, width: n)
          distance[row] = t
        }
        for j in row * n..<(row + 1) * n { current[j] = x0[j] + (current[j] - x0[j]) * pullBack }
      }
    }

    // Success needs a misclassified point within ε (checked again at the point returned).
    var adversarial = x0
    var fooled = [Bool](repeating: false, count: count)
    for row in 0..<count where predicted[row] != labels[row] { fooled[row] = true }
    let found = (0..<count).filter { !fooled[$0] && distance[$0] <= epsilon }
    if !found.isEmpty {
      let points = AttackMath.gatherRows(closest, found, width: n)
      let check = AttackMath.predictions(classifier.logits(points, count: found.count), classCount: classes)
      for (k, row) in found.enumerated() where check[k] != labels[row] {
        fooled[row] = true
        AttackMath.copyRow(row, from: closest, to: &adversarial, width: n)
      }
    }
    return AttackRun(
      adversarial: adversarial, fooled: fooled,
      losses: (0..<count).map { fooled[$0] ? -Double(distance[$0]) : -.infinity }, lossTrace: [],
      zeroGradientEntries: 0, gradientEntries: 0)
  }

  /// f and w of the linearised boundary per row: f = z_k − z_y at the current point and
  /// w = ∇(z_k − z_y), for the target class or (untargeted) the class whose boundary is
  /// closest in the dual norm.
  private func linearisedBoundary<Classifier: AttackableClassifier>(
    _ classifier: Classifier, at points: [Float], labels: [Int], targets: [Int]?
  ) -> (f: [Double], w: [[Double]]) {
    let n = classifier.inputSize
    let classes = classifier.classCount
    let count = labels.count
    if let targets {
      let result = classifier.inputGradient(points, count: count) { _ in
        var g = [Float](repeating: 0, count: count * classes)
        for row in 0..<count {
          g[row * classes + targets[row]] += 1
          g[row * classes + labels[row]] -= 1
        }
        return g
      }
      let f = (0..<count).map {
        Double(result.logits[$0 * classes + targets[$0]]) - Double(result.logits[$0 * classes + labels[$0]])
      }
      let w = (0..<count).map { row in result.gradient[row * n..<(row + 1) * n].map(Double.init) }
      return (f, w)
    }
    // One backward pass per class: ∂z_k/∂x for every row.
    var logits = [Float]()
    var perClass = [[Float]]()
    for k in 0..<classes {
      let result = classifier.inputGradient(points, count: count) { _ in
        var g = [Float](repeating: 0, count: count * classes)
        for row in 0..<count { g[row * classes + k] = 1 }
        return g
      }
      logits = result.logits
      perClass.append(result.gradient)
    }
    var f = [Double](repeating: 0, count: count)
    var w = [[Double]](repeating: [], count: count)
    for row in 0..<count {
      let y = labels[row]
      var best = -1
      var bestDistance = Double.infinity
      var bestDifference = 0.0
      for k in 0..<classes {
        let difference = k == y ? 1e10 : Double(logits[row * classes + k]) - Double(logits[row * classes + y])
        var dual = 0.0
        for j in 0..<n {
          let g = Double(perClass[k][row * n + j]) - Double(perClass[y][row * n + j])
          dual = norm == .linf ? dual + abs(g) : dual + g * g
        }
        if norm == .l2 { dual = dual.squareRoot() }
        let distance = abs(difference) / (1e-12 + dual)
        if best < 0 || distance < bestDistance {
          best = k
          bestDistance = distance
          bestDifference = difference
        }
      }
      f[row] = bestDifference
      w[row] = (0..<n).map { Double(perClass[best][row * n + $0]) - Double(perClass[y][row * n + $0]) }
    }
    return (f, w)
  }

  private func project(_ point: [Double], w: [Double], b: Double) -> [Double] {
    norm == .linf ? FABProjection.linf(point: point, w: w, b: b) : FABProjection.l2(point: point, w: w, b: b)
  }

  /// ‖d‖ in the attack's norm.
  private func size(_ d: [Double]) -> Double {
    norm == .linf ? d.reduce(0) { max($0, abs($1)) } : d.reduce(0) { $0 + $1 * $1 }.squareRoot()
  }

  /// ‖x_row − x0_row‖ in the attack's norm, as `Float`.
  private func distanceNorm(_ x: [Float], _ x0: [Float], row: Int, width n: Int) -> Float {
    var largest: Float = 0
    var sum = 0.0
    for j in row * n..<(row + 1) * n {
      let d = x[j] - x0[j]
      largest = max(largest, abs(d))
      sum += Double(d) * Double(d)
    }
    return norm == .linf ? largest : Float(sum.squareRoot())
  }
}
