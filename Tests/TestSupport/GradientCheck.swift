import Engine

/// Compares the tape's gradients of `function` with central finite differences.
///
/// The scalar differentiated is ⟨w, f(x)⟩ for a fixed random `w` (so every output
/// element matters), accumulated in Double. For each input the result is
/// max|analytic − numeric| / max|numeric|, a relative error that stays meaningful when
/// single elements are near zero; about 1e-3 is what Float32 differences allow.
///
/// Keep inputs small (every element costs two evaluations) and away from kinks
/// (ReLU at 0, ties in max) where the derivative is not defined.
public func gradientErrors(
  of function: ([Tensor]) -> Tensor, at inputs: [Tensor], epsilon: Float = 1e-2, seed: UInt64 = 1
) -> [Float] {
  let leaves = inputs.map { $0.requiringGradient() }
  let output = function(leaves)
  var rng = RandomGenerator(seed: seed)
  let weights = Tensor(randomNormal: output.shape, using: &rng)
  let analytic = gradients(of: output, wrt: leaves, seed: weights)
  let w = weights.scalars

  func objective(_ values: [Tensor]) -> Double {
    let y = withoutGradients { function(values) }.scalars
    var total = 0.0
    for (a, b) in zip(y, w) { total += Double(a) * Double(b) }
    return total
  }

  var errors = [Float]()
  for (i, input) in inputs.enumerated() {
    var numeric = [Float](repeating: 0, count: input.count)
    let base = input.scalars
    for j in 0..<input.count {
      var plus = base
      plus[j] += epsilon
      var minus = base
      minus[j] -= epsilon
      var values = inputs
      values[i] = Tensor(shape: input.shape, scalars: plus)
      let fPlus = objective(values)
      values[i] = Tensor(shape: input.shape, scalars: minus)
      let fMinus = objective(values)
      numeric[j] = Float((fPlus - fMinus) / Double(2 * epsilon))
    }
    let scale = numeric.reduce(Float(0)) { max($0, abs($1)) }
    // A NaN or infinity anywhere is the worst error (Swift's max would drop a NaN).
    let worst = zip(analytic[i].scalars, numeric).reduce(Float(0)) {
      $1.0.isFinite && $1.1.isFinite ? max($0, abs($1.0 - $1.1)) : .infinity
    }
    errors.append(scale > 0 ? worst / scale : worst)
  }
  return errors
}

/// A tensor of the given shape with values drawn uniformly from ±[low, high] (random
/// sign), i.e. bounded away from zero: safe for ops with a kink at 0.
public func awayFromZero(_ shape: [Int], low: Float = 0.1, high: Float = 1, seed: UInt64) -> Tensor {
  var rng = RandomGenerator(seed: seed)
  let values = (0..<shape.reduce(1, *)).map { _ -> Float in
    let magnitude = Float(rng.uniform(Double(low), Double(high)))
    return rng.bernoulli(0.5) ? magnitude : -magnitude
  }
  return Tensor(shape: shape, scalars: values)
}

/// A tensor of N(0, 1) draws.
public func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
  var rng = RandomGenerator(seed: seed)
  return Tensor(randomNormal: shape, using: &rng)
}
