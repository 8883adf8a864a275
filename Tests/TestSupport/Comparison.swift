/// The largest relative error between two arrays, |a - b| / max(|b|, floor), where the
/// floor (a fraction of the reference's largest magnitude) keeps near-zero entries
/// from dominating. This is the "1e-4 relative" of the parity tests. A NaN or an
/// infinity on either side is an infinite error, so no comparison passes on it.
public func maxRelativeError(_ actual: [Float], _ expected: [Float], floorFraction: Float = 1e-3) -> Float {
  precondition(actual.count == expected.count, "maxRelativeError: \(actual.count) vs \(expected.count) elements")
  let scale = expected.reduce(Float(0)) { max($0, abs($1)) }
  let floor = max(scale * floorFraction, Float.leastNormalMagnitude)
  var worst: Float = 0
  for (a, b) in zip(actual, expected) {
    guard a.isFinite && b.isFinite else { return .infinity }
    worst = max(worst, abs(a - b) / max(abs(b), floor))
  }
  return worst
}

/// Double-precision version of `maxRelativeError`.
public func maxRelativeError(_ actual: [Double], _ expected: [Double], floorFraction: Double = 1e-3) -> Double {
  precondition(actual.count == expected.count, "maxRelativeError: \(actual.count) vs \(expected.count) elements")
  let scale = expected.reduce(0.0) { max($0, abs($1)) }
  let floor = max(scale * floorFraction, Double.leastNormalMagnitude)
  var worst = 0.0
  for (a, b) in zip(actual, expected) {
    guard a.isFinite && b.isFinite else { return .infinity }
    worst = max(worst, abs(a - b) / max(abs(b), floor))
  }
  return worst
}

/// The largest |a − b| of two equally long arrays; infinite when either holds a NaN or
/// an infinity (Swift's `max` would drop a NaN).
public func maxAbsoluteDifference<T: BinaryFloatingPoint>(_ actual: [T], _ expected: [T]) -> T {
  precondition(actual.count == expected.count, "maxAbsoluteDifference: \(actual.count) vs \(expected.count) elements")
  var worst: T = 0
  for (a, b) in zip(actual, expected) {
    guard a.isFinite && b.isFinite else { return .infinity }
    worst = max(worst, abs(a - b))
  }
  return worst
}

/// The largest absolute difference relative to the reference's largest magnitude,
/// max|a − b| / max|b|: the measure for whole-network gradients, whose smallest entries
/// carry float32 rounding of the large ones (PyTorch's own float32 gradients differ from
/// its float64 ones by ~5e-4 element-wise but ~2e-6 on this measure).
public func maxNormalizedError(_ actual: [Float], _ expected: [Float]) -> Float {
  maxRelativeError(actual, expected, floorFraction: 1)
}
