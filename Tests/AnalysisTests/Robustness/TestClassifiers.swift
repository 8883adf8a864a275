import Analysis
import Engine
import Foundation
import RunFormat

/// logits = W·((x − mean)/std) + b, row by row (W is `[classCount, inputSize]`): the
/// model whose robust accuracy is known in closed form.
struct LinearClassifier: AttackableClassifier {
  var weights: [Float]
  var bias: [Float]
  var classCount: Int
  var inputSize: Int
  var mean: Float = 0
  var std: Float = 1

  func logits(_ images: [Float], count: Int) -> [Float] {
    var z = [Float](repeating: 0, count: count * classCount)
    for row in 0..<count {
      for c in 0..<classCount {
        var sum = Double(bias[c])
        for j in 0..<inputSize {
          sum +=
            Double(weights[c * inputSize + j]) * Double((images[row * inputSize + j] - mean) / std)
        }
        z[row * classCount + c] = Float(sum)
      }
    }
    return z
  }

  func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float]) {
    let z = logits(images, count: count)
    let dz = outputGradient(z)
    var g = [Float](repeating: 0, count: count * inputSize)
    for row in 0..<count {
      for j in 0..<inputSize {
        var sum = 0.0
        for c in 0..<classCount {
          sum += Double(dz[row * classCount + c]) * Double(weights[c * inputSize + j])
        }
        g[row * inputSize + j] = Float(sum) / std
      }
    }
    return (z, g)
  }

  /// The margin of each example in the pixel space: for class y against class c,
  /// (z_y − z_c) and the dual norm of the pixel-space weight difference (w_y − w_c)/std.
  func exactlyRobust(_ images: [Float], labels: [Int], epsilon: Double, norm: PerturbationNorm)
    -> [Bool]
  {
    let z = logits(images, count: labels.count)
    return labels.indices.map { row in
      let y = labels[row]
      for c in 0..<classCount where c != y {
        let margin = Double(z[row * classCount + y]) - Double(z[row * classCount + c])
        var dual = 0.0
        for j in 0..<inputSize {
          let w = Double(weights[y * inputSize + j] - weights[c * inputSize + j]) / Double(std)
          dual += norm == .linf ? abs(w) : w * w
        }
        if norm == .l2 { dual = dual.squareRoot() }
        if margin <= epsilon * dual { return false }
      }
      return true
    }
  }
}

/// Binary logits [0, min(u·x + a, v·x + b)] with u and v on disjoint pixels: a
/// piecewise-linear model (one min unit) whose minimal l-inf perturbation is closed-form.
/// Class 1 needs both pieces positive; flipping a class-1 example needs one piece ≤ 0
/// (the nearer one); flipping a class-0 example needs every negative piece pushed above
/// 0, each on its own pixels.
struct MinOfTwoPieces: AttackableClassifier {
  var u: [Float]
  var v: [Float]
  var a: Float
  var b: Float
  var classCount: Int { 2 }
  var inputSize: Int { u.count }

  private func pieces(_ images: [Float], row: Int) -> (Double, Double) {
    var p = Double(a)
    var q = Double(b)
    for j in 0..<inputSize {
      p += Double(u[j]) * Double(images[row * inputSize + j])
      q += Double(v[j]) * Double(images[row * inputSize + j])
    }
    return (p, q)
  }

  func logits(_ images: [Float], count: Int) -> [Float] {
    (0..<count).flatMap { row -> [Float] in
      let (p, q) = pieces(images, row: row)
      return [0, Float(min(p, q))]
    }
  }

  func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float]) {
    let z = logits(images, count: count)
    let dz = outputGradient(z)
    var g = [Float](repeating: 0, count: count * inputSize)
    for row in 0..<count {
      let (p, q) = pieces(images, row: row)
      let active = p <= q ? u : v
      for j in 0..<inputSize { g[row * inputSize + j] = dz[row * 2 + 1] * active[j] }
    }
    return (z, g)
  }

  func exactlyRobustLinf(_ images: [Float], labels: [Int], epsilon: Double) -> [Bool] {
    let l1u = u.reduce(0.0) { $0 + Double(abs($1)) }
    let l1v = v.reduce(0.0) { $0 + Double(abs($1)) }
    return labels.indices.map { row in
      let (p, q) = pieces(images, row: row)
      let predicted = min(p, q) > 0 ? 1 : 0
      guard predicted == labels[row] else { return false }
      if predicted == 1 { return p > epsilon * l1u && q > epsilon * l1v }
      // Class 0: the attacker must lift every negative piece above 0 on its own pixels.
      let needP = p >= 0 ? 0 : -p / l1u
      let needQ = q >= 0 ? 0 : -q / l1v
      return max(needP, needQ) >= epsilon
    }
  }
}

/// A linear model behind an input quantiser: its true input gradient is zero almost
/// everywhere, the textbook case of gradient masking.
struct QuantisedClassifier: AttackableClassifier {
  var inner: LinearClassifier
  var levels: Float
  var classCount: Int { inner.classCount }
  var inputSize: Int { inner.inputSize }

  func logits(_ images: [Float], count: Int) -> [Float] {
    inner.logits(images.map { ($0 * levels).rounded() / levels }, count: count)
  }

  func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float]) {
    let z = logits(images, count: count)
    _ = outputGradient(z)
    return (z, [Float](repeating: 0, count: count * inputSize))
  }
}

/// A linear model whose logits carry fresh noise on every call (a randomised defence).
final class NoisyClassifier: AttackableClassifier {
  let inner: LinearClassifier
  let scale: Float
  private var rng = RandomGenerator(seed: 99)
  var classCount: Int { inner.classCount }
  var inputSize: Int { inner.inputSize }

  init(inner: LinearClassifier, scale: Float) {
    self.inner = inner
    self.scale = scale
  }

  func logits(_ images: [Float], count: Int) -> [Float] {
    inner.logits(images, count: count).map { $0 + scale * Float(rng.normal()) }
  }

  func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float]) {
    let (_, g) = inner.inputGradient(images, count: count, outputGradient: outputGradient)
    return (logits(images, count: count), g)
  }
}

/// A linear model that returns softmax probabilities instead of logits.
struct ProbabilityClassifier: AttackableClassifier {
  var inner: LinearClassifier
  var classCount: Int { inner.classCount }
  var inputSize: Int { inner.inputSize }

  func logits(_ images: [Float], count: Int) -> [Float] {
    let z = inner.logits(images, count: count)
    return (0..<count).flatMap { row -> [Float] in
      let values = z[row * classCount..<(row + 1) * classCount]
      let top = values.max() ?? 0
      let e = values.map { exp($0 - top) }
      let sum = e.reduce(0, +)
      return e.map { $0 / sum }
    }
  }

  func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float]) {
    // Through the softmax: ∂L/∂z = J_softmaxᵀ ∂L/∂p, then the linear layer.
    let p = logits(images, count: count)
    let dp = outputGradient(p)
    let (_, g) = inner.inputGradient(images, count: count) { _ in
      (0..<count).flatMap { row -> [Float] in
        let pr = p[row * classCount..<(row + 1) * classCount]
        let dr = dp[row * classCount..<(row + 1) * classCount]
        let dot = zip(pr, dr).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        return zip(pr, dr).map { $0 * ($1 - dot) }
      }
    }
    return (p, g)
  }
}

/// Seeded test data for the closed-form tests.
enum OracleData {
  /// A binary linear problem in the spec's oracle setting: pixels in [0.4, 0.6] (the box
  /// never binds for small ε), logits [0, w·x + b] with b centring the classes, 5% label noise.
  static func binary(count: Int, inputSize: Int, seed: UInt64) -> (LinearClassifier, [Float], [Int])
  {
    var rng = RandomGenerator(seed: seed)
    let w = (0..<inputSize).map { _ in Float(rng.normal()) }
    let b = -0.5 * w.reduce(0, +)
    let model = LinearClassifier(
      weights: [Float](repeating: 0, count: inputSize) + w, bias: [0, b], classCount: 2,
      inputSize: inputSize)
    let images = (0..<count * inputSize).map { _ in 0.4 + 0.2 * rng.uniformFloat() }
    let predicted = model.logits(images, count: count).enumerated().compactMap { i, z in
      i % 2 == 1 ? (z > 0 ? 1 : 0) : nil
    }
    let labels = predicted.map { rng.bernoulli(0.05) ? 1 - $0 : $0 }
    return (model, images, labels)
  }

  /// A `classCount`-class linear problem with pixels in [0.3, 0.7] and labels from the
  /// model itself, 5% noisy.
  static func multiclass(count: Int, inputSize: Int, classCount: Int, seed: UInt64) -> (
    LinearClassifier, [Float], [Int]
  ) {
    var rng = RandomGenerator(seed: seed)
    let w = (0..<classCount * inputSize).map { _ in Float(rng.normal()) }
    var model = LinearClassifier(
      weights: w, bias: [Float](repeating: 0, count: classCount), classCount: classCount,
      inputSize: inputSize)
    // Centre the classes at the middle image so that all of them occur.
    let middle = [Float](repeating: 0.5, count: inputSize)
    model.bias = model.logits(middle, count: 1).map { -$0 }
    let images = (0..<count * inputSize).map { _ in 0.3 + 0.4 * rng.uniformFloat() }
    let z = model.logits(images, count: count)
    let labels = (0..<count).map { row -> Int in
      let predicted =
        (0..<classCount).max { z[row * classCount + $0] < z[row * classCount + $1] } ?? 0
      return rng.bernoulli(0.05) ? rng.int(below: classCount) : predicted
    }
    return (model, images, labels)
  }
}

/// Fraction of `true` entries.
func accuracy(_ flags: [Bool]) -> Double {
  Double(flags.filter { $0 }.count) / Double(max(flags.count, 1))
}
