import CBLAS
import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A linear probe: multinomial logistic regression on frozen features.
///
/// Features are standardised with the training mean and standard deviation; the model
/// minimises the mean cross-entropy plus (λ/2)‖W‖² (the bias is not penalised), in
/// Double, by full-batch L-BFGS (memory 10, backtracking line search with the Armijo
/// condition) until the gradient's largest entry is below `tolerance`. This is
/// scikit-learn's `LogisticRegression(C = 1/(λN))` on `StandardScaler` output. BLAS runs
/// single-threaded (see `withSingleThreadedBLAS`).
public struct LinearProbe: Sendable {
  /// Class labels, in the order of the weight columns.
  public let classes: [Int]
  /// D×C weights (row-major) on standardised features.
  public let weights: [Double]
  /// One bias per class.
  public let bias: [Double]
  /// Training mean of each feature.
  public let mean: [Double]
  /// Training standard deviation of each feature (1 where it is 0).
  public let scale: [Double]
  /// L-BFGS iterations taken.
  public let iterations: Int
  /// Final value of the objective (mean cross-entropy + (λ/2)‖W‖²).
  public let objective: Double

  /// Fits the probe. Throws when the labels do not match the rows or there is one class.
  public init(
    fitting features: FeatureMatrix, labels: [Int], l2: Double = 1e-4, maxIterations: Int = 1000,
    tolerance: Double = 1e-7
  ) throws(AnalysisInputError) {
    let n = features.rows
    let d = features.columns
    guard labels.count == n else {
      throw AnalysisInputError("\(labels.count) labels for \(n) feature rows")
    }
    let classes = Array(Set(labels)).sorted()
    guard classes.count >= 2 else {
      throw AnalysisInputError("a linear probe needs at least two classes")
    }
    let c = classes.count
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    let target = labels.map { index[$0] ?? 0 }
    var mean = [Double](repeating: 0, count: d)
    var scale = [Double](repeating: 0, count: d)
    for i in 0..<n { for j in 0..<d { mean[j] += Double(features.values[i * d + j]) } }
    for j in 0..<d { mean[j] /= Double(n) }
    for i in 0..<n {
      for j in 0..<d {
        let t = Double(features.values[i * d + j]) - mean[j]
        scale[j] += t * t
      }
    }
    for j in 0..<d {
      let s = (scale[j] / Double(n)).squareRoot()
      scale[j] = s > 0 ? s : 1
    }
    let x = LinearProbe.standardize(features, mean: mean, scale: scale)
    let problem = SoftmaxProblem(x: x, n: n, d: d, c: c, target: target, l2: l2)
    var parameters = [Double](repeating: 0, count: (d + 1) * c)
    let (iterations, value) = withSingleThreadedBLAS {
      LBFGS.minimize(&parameters, tolerance: tolerance, maxIterations: maxIterations) {
        problem.evaluate($0, gradient: &$1)
      }
    }
    self.classes = classes
    weights = Array(parameters[0..<d * c])
    bias = Array(parameters[d * c..<(d + 1) * c])
    self.mean = mean
    self.scale = scale
    self.iterations = iterations
    objective = value
  }

  /// Logits [N · C] (row-major, bias included), columns in the order of `classes`.
  public func logits(_ features: FeatureMatrix) -> [Double] {
    let n = features.rows
    let d = mean.count
    let c = classes.count
    let x = LinearProbe.standardize(features, mean: mean, scale: scale)
    var logits = [Double](repeating: 0, count: n * c)
    withSingleThreadedBLAS {
      cblas_dgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(c), Int32(d), 1, x, Int32(d),
        weights, Int32(c), 0, &logits, Int32(c))
    }
    for i in 0..<n { for k in 0..<c { logits[i * c + k] += bias[k] } }
    return logits
  }

  /// Predicted labels.
  public func predict(_ features: FeatureMatrix) -> [Int] {
    LinearProbe.predictions(logits(features), classes: classes)
  }

  /// The class of the largest logit of each row of `logits` [N · C] (the first on ties).
  public static func predictions(_ logits: [Double], classes: [Int]) -> [Int] {
    let c = classes.count
    return (0..<(logits.count / c)).map { i in
      var best = 0
      for k in 1..<c where logits[i * c + k] > logits[i * c + best] { best = k }
      return classes[best]
    }
  }

  /// Fraction of rows whose prediction equals the label.
  public func accuracy(_ features: FeatureMatrix, labels: [Int]) -> Double {
    let predicted = predict(features)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
  }

  /// Accuracy on a held-out split: a seeded random `testFraction` of the rows is held
  /// out, the probe is fitted on the rest.
  public static func holdOutAccuracy(
    _ features: FeatureMatrix, labels: [Int], testFraction: Double = 0.2, seed: UInt64,
    l2: Double = 1e-4
  ) throws(AnalysisInputError) -> Double {
    let n = features.rows
    let testCount = Int((Double(n) * testFraction).rounded())
    guard testCount >= 1, n - testCount >= 2 else {
      throw AnalysisInputError("too few rows (\(n)) for a held-out probe")
    }
    var rng = RandomGenerator(seed: seed)
    let order = rng.permutation(n)
    let test = Array(order[0..<testCount])
    let train = Array(order[testCount...])
    let probe = try LinearProbe(
      fitting: features.selecting(rows: train), labels: train.map { labels[$0] }, l2: l2)
    return probe.accuracy(features.selecting(rows: test), labels: test.map { labels[$0] })
  }

  static func standardize(_ features: FeatureMatrix, mean: [Double], scale: [Double]) -> [Double] {
    let d = features.columns
    var x = [Double](repeating: 0, count: features.values.count)
    for i in 0..<features.rows {
      for j in 0..<d { x[i * d + j] = (Double(features.values[i * d + j]) - mean[j]) / scale[j] }
    }
    return x
  }
}

/// Mean softmax cross-entropy + (λ/2)‖W‖² and its gradient; parameters are W (D×C,
/// row-major) followed by the C biases.
struct SoftmaxProblem {
  let x: [Double]
  let n: Int
  let d: Int
  let c: Int
  let target: [Int]
  let l2: Double

  func evaluate(_ parameters: [Double], gradient: inout [Double]) -> Double {
    var logits = [Double](repeating: 0, count: n * c)
    parameters.withUnsafeBufferPointer { p in
      cblas_dgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(c), Int32(d), 1, x, Int32(d),
        p.baseAddress!, Int32(c), 0, &logits, Int32(c))
    }
    var loss = 0.0
    var biasGradient = [Double](repeating: 0, count: c)
    for i in 0..<n {
      var largest = -Double.infinity
      for k in 0..<c {
        logits[i * c + k] += parameters[d * c + k]
        largest = max(largest, logits[i * c + k])
      }
      var sum = 0.0
      for k in 0..<c {
        logits[i * c + k] = exp(logits[i * c + k] - largest)
        sum += logits[i * c + k]
      }
      loss += log(sum) + largest - (log(logits[i * c + target[i]]) + largest)
      for k in 0..<c {
        // The residual softmax − onehot, over N, becomes the logit gradient.
        let residual = (logits[i * c + k] / sum - (k == target[i] ? 1 : 0)) / Double(n)
        logits[i * c + k] = residual
        biasGradient[k] += residual
      }
    }
    gradient.withUnsafeMutableBufferPointer { g in
      cblas_dgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(c), Int32(n), 1, x, Int32(d),
        logits, Int32(c), 0, g.baseAddress!, Int32(c))
    }
    var penalty = 0.0
    for e in 0..<d * c {
      penalty += parameters[e] * parameters[e]
      gradient[e] += l2 * parameters[e]
    }
    for k in 0..<c { gradient[d * c + k] = biasGradient[k] }
    return loss / Double(n) + l2 / 2 * penalty
  }
}

/// Limited-memory BFGS (Nocedal 1980) with a backtracking Armijo line search.
enum LBFGS {
  /// Minimises `f` from `x` in place; returns (iterations, final value). `f` returns the
  /// value and writes the gradient.
  static func minimize(
    _ x: inout [Double], tolerance: Double, maxIterations: Int, memory: Int = 10,
    _ f: ([Double], inout [Double]) -> Double
  ) -> (Int, Double) {
    let m = x.count
    var g = [Double](repeating: 0, count: m)
    var value = f(x, &g)
    var history = [(s: [Double], y: [Double], rho: Double)]()
    var iteration = 0
    func dot(_ a: [Double], _ b: [Double]) -> Double {
      var s = 0.0
      for e in 0..<a.count { s += a[e] * b[e] }
      return s
    }
    while iteration < maxIterations {
      if g.reduce(0.0, { max($0, abs($1)) }) <= tolerance { break }
      // Two-loop recursion: direction = −H·g.
      var q = g
      var alphas = [Double](repeating: 0, count: history.count)
      for (h, pair) in history.enumerated().reversed() {
        alphas[h] = pair.rho * dot(pair.s, q)
        for e in 0..<m { q[e] -= alphas[h] * pair.y[e] }
      }
      if let last = history.last {
        let gamma = dot(last.s, last.y) / dot(last.y, last.y)
        for e in 0..<m { q[e] *= gamma }
      }
      for (h, pair) in history.enumerated() {
        let beta = pair.rho * dot(pair.y, q)
        for e in 0..<m { q[e] += pair.s[e] * (alphas[h] - beta) }
      }
      var direction = q.map { -$0 }
      var slope = dot(direction, g)
      if slope >= 0 {
        direction = g.map { -$0 }
        slope = dot(direction, g)
        history.removeAll()
      }
      var step = history.isEmpty ? min(1, 1 / max(g.reduce(0.0) { $0 + abs($1) }, 1e-12)) : 1.0
      var candidate = x
      var candidateGradient = g
      var candidateValue = value
      var accepted = false
      for _ in 0..<60 {
        for e in 0..<m { candidate[e] = x[e] + step * direction[e] }
        candidateValue = f(candidate, &candidateGradient)
        if candidateValue <= value + 1e-4 * step * slope {
          accepted = true
          break
        }
        step *= 0.5
      }
      iteration += 1
      if !accepted { break }
      var s = [Double](repeating: 0, count: m)
      var y = [Double](repeating: 0, count: m)
      for e in 0..<m {
        s[e] = candidate[e] - x[e]
        y[e] = candidateGradient[e] - g[e]
      }
      let sy = dot(s, y)
      if sy > 1e-12 * dot(y, y).squareRoot() * dot(s, s).squareRoot() {
        history.append((s, y, 1 / sy))
        if history.count > memory { history.removeFirst() }
      }
      let improvement = value - candidateValue
      x = candidate
      g = candidateGradient
      value = candidateValue
      if improvement <= 1e-15 * max(abs(value), 1) { break }
    }
    return (iteration, value)
  }
}
