import Engine
import RunFormat

/// The small row and pixel kernels the attacks share: argmax of logits, copying rows of
/// `[count, width]` arrays, ‖v‖₂ and clipping to a range.
enum AttackMath {
  /// Index of the largest logit in each row (the first one on ties, as `torch.argmax`).
  static func predictions(_ logits: [Float], classCount: Int) -> [Int] {
    let count = logits.count / classCount
    return logits.withUnsafeBufferPointer { z in
      (0..<count).map { row in
        var best = 0
        var bestValue = z[row * classCount]
        for c in 1..<classCount where z[row * classCount + c] > bestValue {
          best = c
          bestValue = z[row * classCount + c]
        }
        return best
      }
    }
  }

  /// Row `row`'s classes by descending logit, ties broken as reading torch's ascending
  /// sort from the end (the higher index first).
  static func descendingClasses(_ logits: [Float], row: Int, classCount: Int) -> [Int] {
    let base = row * classCount
    return (0..<classCount).sorted {
      logits[base + $0] > logits[base + $1] || (logits[base + $0] == logits[base + $1] && $0 > $1)
    }
  }

  /// The class with the `rank`-th largest logit of each row (rank 1 is the prediction).
  static func rankedClasses(_ logits: [Float], classCount: Int, rank: Int) -> [Int] {
    precondition(rank >= 1 && rank <= classCount, "rankedClasses: rank out of range")
    return (0..<logits.count / classCount).map {
      descendingClasses(logits, row: $0, classCount: classCount)[rank - 1]
    }
  }

  /// Copies rows `indices` of a `[_, width]` array into a new contiguous array.
  static func gatherRows(_ source: [Float], _ indices: [Int], width: Int) -> [Float] {
    var result = [Float](repeating: 0, count: indices.count * width)
    source.withUnsafeBufferPointer { s in
      result.withUnsafeMutableBufferPointer { r in
        for (k, row) in indices.enumerated() {
          for j in 0..<width { r[k * width + j] = s[row * width + j] }
        }
      }
    }
    return result
  }

  /// Copies row `row` of `source` into the same row of `target` (both `[_, width]`).
  @inline(__always)
  static func copyRow(_ row: Int, from source: [Float], to target: inout [Float], width: Int) {
    for j in 0..<width { target[row * width + j] = source[row * width + j] }
  }

  /// ‖v‖₂ of `count` floats at `v`, as `Float` (accumulated in `Double`, like the
  /// reductions of PyTorch's `norm`).
  @inline(__always)
  static func l2Norm(_ v: UnsafePointer<Float>, _ count: Int) -> Float {
    var sum = 0.0
    for j in 0..<count { sum += Double(v[j]) * Double(v[j]) }
    return Float(sum.squareRoot())
  }

  /// `value` clamped to [low, high] (NaN stays NaN, like `torch.clamp`).
  @inline(__always)
  static func clamp(_ value: Float, _ low: Float, _ high: Float) -> Float {
    value < low ? low : (value > high ? high : value)
  }
}

extension AttackMath {
  /// Copies row `source` of `from` into row `target` of `to` (both `[_, width]`).
  @inline(__always)
  static func copyRow(_ source: Int, from: [Float], toRow target: Int, of to: inout [Float], width: Int) {
    for j in 0..<width { to[target * width + j] = from[source * width + j] }
  }
}

extension AttackMath {
  /// AutoAttack's random start, in place: each row moves by `radius`·t/‖t‖ (l-inf: t ~
  /// U(−1, 1)ⁿ over its largest entry; l2: t Gaussian over its length), then is clipped
  /// to [0, 1]. Row i draws from `randomness[i]`. APGD starts at radius ε, FAB's later
  /// restarts at ε/2.
  static func startOnSphere(
    _ points: inout [Float], randomness: [RandomGenerator], norm: PerturbationNorm, radius: Float, inputSize n: Int
  ) {
    var t = [Float](repeating: 0, count: n)
    for row in 0..<randomness.count {
      var rng = randomness[row]
      let scale: Float
      switch norm {
      case .linf:
        var largest: Float = 0
        for j in 0..<n {
          t[j] = 2 * rng.uniformFloat() - 1
          largest = max(largest, abs(t[j]))
        }
        scale = largest
      case .l2:
        for j in 0..<n { t[j] = Float(rng.normal()) }
        scale = t.withUnsafeBufferPointer { l2Norm($0.baseAddress!, n) } + 1e-12
      }
      for j in 0..<n {
        points[row * n + j] = clamp(points[row * n + j] + radius * t[j] / scale, 0, 1)
      }
    }
  }
}
