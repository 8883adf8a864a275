import RunFormat

extension PerturbationNorm {
  /// ‖v‖ in this norm, accumulated in `Double`.
  public func measure(_ v: UnsafeBufferPointer<Float>) -> Double {
    switch self {
    case .linf:
      var largest: Float = 0
      for x in v { largest = max(largest, abs(x)) }
      return Double(largest)
    case .l2:
      var sum = 0.0
      for x in v { sum += Double(x) * Double(x) }
      return sum.squareRoot()
    }
  }

  /// The largest ε that still means something for `inputSize` values in [0, 1]: beyond it
  /// the ball contains the whole pixel box (1 for l-inf, √n, the box's diagonal, for l2).
  public func largestEpsilon(inputSize: Int) -> Double {
    switch self {
    case .linf: 1
    case .l2: Double(inputSize).squareRoot()
    }
  }

  /// ‖δ‖ of each row of `adversarial − original`, both `[count, inputSize]`.
  public func perturbationSizes(adversarial: [Float], original: [Float], inputSize: Int) -> [Double]
  {
    precondition(adversarial.count == original.count, "perturbationSizes: arrays differ in size")
    let count = inputSize == 0 ? 0 : original.count / inputSize
    var delta = [Float](repeating: 0, count: inputSize)
    return (0..<count).map { row in
      for j in 0..<inputSize {
        delta[j] = adversarial[row * inputSize + j] - original[row * inputSize + j]
      }
      return delta.withUnsafeBufferPointer { measure($0) }
    }
  }
}
