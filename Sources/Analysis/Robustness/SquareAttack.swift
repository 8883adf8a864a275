import Engine
import RunFormat

/// Square Attack (Andriushchenko et al. 2020), the gradient-free attack AutoAttack uses to
/// catch gradient masking, with the margin loss z_y − max_{c≠y} z_c, step for step as
/// torchattacks 3.5.1 `Square` runs it on one example.
///
/// - l-inf: starts from vertical stripes of ±ε; each query moves a random s×s window of
///   the current best point to a random vertex (±2ε per channel, clipped to the ball and
///   the box) and keeps it if the margin falls or the example is misclassified.
/// - l2: starts from a grid of ±η windows (η, centred squares of decaying weight) scaled to
///   the sphere; each query moves the mass of a second window into the first, re-shaped as
///   ±η, and rescales to the sphere.
/// - The window side follows p = 0.8 halved at fixed fractions of the query budget
///   (AutoAttack's schedule, rescaled to `queries`).
///
/// Each example draws its own windows and signs (torchattacks shares one window per query
/// across a batch), so results do not depend on batching; with one example per batch the
/// draws are torchattacks' draws in torchattacks' order.
public struct SquareAttack: AdversarialAttack {
  public var norm: PerturbationNorm
  public var epsilon: Float
  /// Model queries per example.
  public var queries: Int
  /// Channels, height and width of an image (`inputSize` = their product).
  public var channels: Int
  public var height: Int
  public var width: Int
  /// p_init, the initial fraction of pixels a window covers.
  public var initialFraction: Double

  /// Square Attack with `queries` model calls per example on images of `shape` (C, H, W).
  public init(
    norm: PerturbationNorm, epsilon: Float, queries: Int, channels: Int, height: Int, width: Int,
    initialFraction: Double = 0.8
  ) {
    precondition(epsilon >= 0 && queries >= 1, "SquareAttack: negative epsilon or no queries")
    precondition(height >= 5 && width >= 5, "SquareAttack: images need at least 5x5 pixels")
    self.norm = norm
    self.epsilon = epsilon
    self.queries = queries
    self.channels = channels
    self.height = height
    self.width = width
    self.initialFraction = initialFraction
  }

  /// The margin z_y − max_{c≠y} z_c of each example (≤ 0: misclassified).
  static func margins(_ logits: [Float], labels: [Int], classCount: Int) -> [Float] {
    labels.indices.map { row in
      var other = -Float.infinity
      for c in 0..<classCount where c != labels[row] {
        other = max(other, logits[row * classCount + c])
      }
      return logits[row * classCount + labels[row]] - other
    }
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images x: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    let n = classifier.inputSize
    let count = labels.count
    precondition(
      n == channels * height * width, "SquareAttack: image shape does not match the classifier")
    precondition(x.count == count * n, "SquareAttack: images do not match labels")
    var rngs = randomness
    var best = x
    for row in 0..<count {
      let start = startingPoint(Array(x[row * n..<(row + 1) * n]), rng: &rngs[row])
      for j in 0..<n { best[row * n + j] = start[j] }
    }
    var margin = Self.margins(
      classifier.logits(best, count: count), labels: labels, classCount: classifier.classCount)
    // The trace follows the loss the attack climbs, minus the mean margin.
    var lossTrace = [-margin.reduce(0.0) { $0 + Double($1) } / Double(max(count, 1))]
    for query in 0..<queries {
      let active = (0..<count).filter { margin[$0] > 0 }
      if active.isEmpty { break }
      var candidates = [Float](repeating: 0, count: active.count * n)
      for (k, row) in active.enumerated() {
        let candidate = propose(
          original: Array(x[row * n..<(row + 1) * n]), best: Array(best[row * n..<(row + 1) * n]),
          query: query, rng: &rngs[row])
        for j in 0..<n { candidates[k * n + j] = candidate[j] }
      }
      let z = classifier.logits(candidates, count: active.count)
      let newMargins = Self.margins(
        z, labels: active.map { labels[$0] }, classCount: classifier.classCount)
      for (k, row) in active.enumerated() where newMargins[k] < margin[row] || newMargins[k] <= 0 {
        margin[row] = newMargins[k]
        for j in 0..<n { best[row * n + j] = candidates[k * n + j] }
      }
      lossTrace.append(-margin.reduce(0.0) { $0 + Double($1) } / Double(max(count, 1)))
    }
    // Like torchattacks, classify the final points by argmax (a margin of exactly 0 is a tie).
    let predicted = AttackMath.predictions(
      classifier.logits(best, count: count), classCount: classifier.classCount)
    return AttackRun(
      adversarial: best, fooled: labels.indices.map { predicted[$0] != labels[$0] },
      losses: margin.map { -Double($0) }, lossTrace: lossTrace, zeroGradientEntries: 0,
      gradientEntries: 0)
  }

  /// AutoAttack's window fraction p at query `query`, on a schedule rescaled to `queries`.
  func fraction(query: Int) -> Double {
    let it = Int(Double(query) / Double(queries) * 10000)
    let divisor: Double
    switch it {
    case 11...50: divisor = 2
    case 51...200: divisor = 4
    case 201...500: divisor = 8
    case 501...1000: divisor = 16
    case 1001...2000: divisor = 32
    case 2001...4000: divisor = 64
    case 4001...6000: divisor = 128
    case 6001...8000: divisor = 256
    case 8001...: divisor = 512
    default: divisor = 1
    }
    return initialFraction / divisor
  }

  /// sign(2u − 1) for a uniform u, torchattacks' random ±1.
  private static func randomSign(_ rng: inout RandomGenerator) -> Float {
    let t = 2 * rng.uniformFloat() - 1
    return t > 0 ? 1 : (t < 0 ? -1 : 0)
  }

  /// ⌊(high − low)·u⌋ + low: a window corner in [low, high) (torchattacks never picks `high`).
  private static func randomInt(below high: Int, _ rng: inout RandomGenerator) -> Int {
    Int(Float(high) * rng.uniformFloat())
  }

  private func startingPoint(_ x: [Float], rng: inout RandomGenerator) -> [Float] {
    var point = x
    switch norm {
    case .linf:
      // One sign per (channel, column): vertical stripes.
      var signs = [Float](repeating: 0, count: channels * width)
      for k in signs.indices { signs[k] = Self.randomSign(&rng) }
      for ch in 0..<channels {
        for i in 0..<height {
          for j in 0..<width {
            let index = (ch * height + i) * width + j
            point[index] = AttackMath.clamp(x[index] + epsilon * signs[ch * width + j], 0, 1)
          }
        }
      }
    case .l2:
      var delta = [Float](repeating: 0, count: x.count)
      let s = height / 5
      let margin = (height - 5 * s) / 2
      var top = margin
      for _ in 0..<(height / s) {
        var left = margin
        for _ in 0..<(width / s) {
          let pattern = eta(s, &rng)
          for ch in 0..<channels {
            let sign = Self.randomSign(&rng)
            for a in 0..<s where top + a < height {
              for b in 0..<s where left + b < width {
                delta[(ch * height + top + a) * width + left + b] += pattern[a * s + b] * sign
              }
            }
          }
          left += s
        }
        top += s
      }
      let scale =
        delta.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, $0.count) } + 1e-12
      for j in point.indices {
        point[j] = AttackMath.clamp(x[j] + delta[j] / scale * epsilon, 0, 1)
      }
    }
    return point
  }

  /// The candidate of one query for one example.
  private func propose(original x: [Float], best: [Float], query: Int, rng: inout RandomGenerator)
    -> [Float]
  {
    // p·n/c as torchattacks computes it (n = C·H·W features).
    let pixels = Double(channels * height * width) / Double(channels)
    var candidate = best
    switch norm {
    case .linf:
      let s = max(Int((fraction(query: query) * pixels).squareRoot().rounded(.toNearestOrEven)), 1)
      let top = Self.randomInt(below: height - s, &rng)
      let left = Self.randomInt(below: width - s, &rng)
      for ch in 0..<channels {
        let step = 2 * epsilon * Self.randomSign(&rng)
        for a in top..<top + s {
          for b in left..<left + s {
            let index = (ch * height + a) * width + b
            let moved = min(max(best[index] + step, x[index] - epsilon), x[index] + epsilon)
            candidate[index] = AttackMath.clamp(moved, 0, 1)
          }
        }
      }
    case .l2:
      var s = max(Int((fraction(query: query) * pixels).squareRoot().rounded(.toNearestOrEven)), 3)
      if s % 2 == 0 { s += 1 }
      let top = Self.randomInt(below: height - s, &rng)
      let left = Self.randomInt(below: width - s, &rng)
      let top2 = Self.randomInt(below: height - s, &rng)
      let left2 = Self.randomInt(below: width - s, &rng)
      var delta = zip(best, x).map { $0 - $1 }
      func inFirst(_ a: Int, _ b: Int) -> Bool {
        a >= top && a < top + s && b >= left && b < left + s
      }
      func inSecond(_ a: Int, _ b: Int) -> Bool {
        a >= top2 && a < top2 + s && b >= left2 && b < left2 + s
      }
      var imageSquares = 0.0
      var windowSquares = 0.0
      for ch in 0..<channels {
        for a in 0..<height {
          for b in 0..<width {
            let d = Double(delta[(ch * height + a) * width + b])
            imageSquares += d * d
            if inFirst(a, b) || inSecond(a, b) { windowSquares += d * d }
          }
        }
      }
      let imageNorm = Float(imageSquares.squareRoot())
      let windowNorm = Float(windowSquares.squareRoot())
      let budget =
        (max(epsilon * epsilon - imageNorm * imageNorm, 0) / Float(channels) + windowNorm
        * windowNorm)
        .squareRoot()
      let pattern = eta(s, &rng)
      var window = [Float](repeating: 0, count: s * s)
      for ch in 0..<channels {
        let sign = Self.randomSign(&rng)
        var oldSquares = 0.0
        for a in 0..<s {
          for b in 0..<s {
            let d = Double(delta[(ch * height + top + a) * width + left + b])
            oldSquares += d * d
          }
        }
        let oldNorm = Float(oldSquares.squareRoot()) + 1e-12
        for a in 0..<s {
          for b in 0..<s {
            window[a * s + b] =
              pattern[a * s + b] * sign + delta[(ch * height + top + a) * width + left + b]
              / oldNorm
          }
        }
        let newNorm =
          window.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, s * s) } + 1e-12
        for a in 0..<s {
          for b in 0..<s { window[a * s + b] = window[a * s + b] / newNorm * budget }
        }
        for a in top2..<top2 + s {
          for b in left2..<left2 + s { delta[(ch * height + a) * width + b] = 0 }
        }
        for a in 0..<s {
          for b in 0..<s { delta[(ch * height + top + a) * width + left + b] = window[a * s + b] }
        }
      }
      let scale =
        delta.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, $0.count) } + 1e-12
      for j in candidate.indices {
        candidate[j] = AttackMath.clamp(x[j] + delta[j] / scale * epsilon, 0, 1)
      }
    }
    return candidate
  }

  /// The s×s l2 pattern η: +rectangles of decaying weight in the top half, − in the
  /// bottom half, unit norm, transposed with probability 1/2.
  private func eta(_ s: Int, _ rng: inout RandomGenerator) -> [Float] {
    var pattern = [Float](repeating: 0, count: s * s)
    let upper = Self.rectangles(s / 2, s)
    let lower = Self.rectangles(s - s / 2, s)
    for a in 0..<s / 2 {
      for b in 0..<s { pattern[a * s + b] = upper[a * s + b] }
    }
    for a in 0..<(s - s / 2) {
      for b in 0..<s { pattern[(s / 2 + a) * s + b] = -lower[a * s + b] }
    }
    let norm = pattern.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, $0.count) }
    for k in pattern.indices { pattern[k] /= norm }
    if rng.uniformFloat() > 0.5 {
      var transposed = pattern
      for a in 0..<s {
        for b in 0..<s { transposed[a * s + b] = pattern[b * s + a] }
      }
      pattern = transposed
    }
    return pattern
  }

  /// Nested centred rectangles on a rows×columns grid, ring k weighted 1/(k+1)², unit norm.
  private static func rectangles(_ rows: Int, _ columns: Int) -> [Float] {
    var grid = [Float](repeating: 0, count: rows * columns)
    var cornerRow = rows / 2
    var cornerColumn = columns / 2
    for k in 0..<max(rows / 2 + 1, columns / 2 + 1) {
      let weight = 1 / Float((k + 1) * (k + 1))
      for a in max(cornerRow, 0)..<min(cornerRow + 2 * k + 1, rows) {
        for b in max(cornerColumn, 0)..<min(cornerColumn + 2 * k + 1, columns) {
          grid[a * columns + b] += weight
        }
      }
      cornerRow -= 1
      cornerColumn -= 1
    }
    let norm = grid.withUnsafeBufferPointer { AttackMath.l2Norm($0.baseAddress!, $0.count) }
    return norm > 0 ? grid.map { $0 / norm } : grid
  }
}
