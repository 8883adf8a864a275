import Engine
import Testing
import TestSupport

/// Finite-difference checks of every differentiable op's backward pass.
@Suite struct GradientTests {
  func expectGradients(
    _ name: String, _ inputs: [Tensor], tolerance: Float = 2e-3, epsilon: Float = 1e-2,
    _ function: @escaping ([Tensor]) -> Tensor
  ) {
    let errors = gradientErrors(of: function, at: inputs, epsilon: epsilon)
    for (i, error) in errors.enumerated() {
      #expect(error < tolerance, "\(name): input \(i) relative gradient error \(error)")
    }
  }

  @Test func broadcastingArithmetic() {
    let a = randomTensor([2, 3, 4], seed: 1)
    let b = randomTensor([3, 1], seed: 2)
    let c = awayFromZero([4], low: 0.5, high: 2, seed: 3)
    expectGradients("add", [a, b]) { $0[0] + $0[1] }
    expectGradients("subtract", [a, c]) { $0[0] - $0[1] }
    expectGradients("multiply", [a, b]) { $0[0] * $0[1] }
    expectGradients("divide", [a, c]) { $0[0] / $0[1] }
    expectGradients("negate", [a]) { -$0[0] }
    expectGradients("scalar ops", [a]) { x in ((x[0] + 1.5) * 2 - 0.5) / 3 }
    expectGradients("scalar minus", [a]) { x in 2 - x[0] }
    expectGradients("scalar divide", [c]) { x in 2 / x[0] }
    expectGradients("channel broadcast", [randomTensor([2, 3, 2, 2], seed: 4), randomTensor([1, 3, 1, 1], seed: 5)]) {
      $0[0] * $0[1] + $0[1]
    }
  }

  /// A computed tensor's gradient is what its backward closure says (here x³ and 3x²·g),
  /// and it reaches the ops before it.
  @Test func computedTensorsFollowTheirBackward() {
    expectGradients("computed", [randomTensor([3, 4], seed: 8)]) { inputs in
      let x = inputs[0] * 2
      let values = x.scalars
      let cubed = Tensor.computed(from: x, shape: x.shape, values: values.map { $0 * $0 * $0 }) { g in
        Tensor(shape: g.shape, scalars: zip(g.scalars, values).map { $0 * 3 * $1 * $1 })
      }
      return cubed + x
    }
  }

  @Test func unaryFunctions() {
    let x = randomTensor([3, 5], seed: 6)
    let positive = awayFromZero([3, 5], low: 0.5, high: 2, seed: 7).abs()
    expectGradients("exp", [x]) { $0[0].exp() }
    expectGradients("log", [positive]) { $0[0].log() }
    expectGradients("sqrt", [positive]) { $0[0].squareRoot() }
    expectGradients("squared", [x]) { $0[0].squared() }
    expectGradients("relu", [awayFromZero([3, 5], seed: 8)]) { $0[0].relu() }
    expectGradients("abs", [awayFromZero([3, 5], seed: 9)]) { $0[0].abs() }
    expectGradients("clamped", [awayFromZero([4, 5], low: 0.05, high: 1.2, seed: 10)]) {
      $0[0].clamped(min: -0.5, max: 0.7)
    }
  }

  @Test func reductions() {
    let x = randomTensor([2, 3, 4], seed: 11)
    expectGradients("sum axes", [x]) { $0[0].sum(alongAxes: [0, 2]) }
    expectGradients("sum all", [x]) { $0[0].sum() }
    expectGradients("mean keep", [x]) { $0[0].mean(alongAxes: [1], keepingDimensions: true) }
    expectGradients("variance", [x]) { $0[0].variance(alongAxes: [2]) }
    expectGradients("max", [x]) { $0[0].max(alongAxis: 1) }
    expectGradients("min", [x]) { $0[0].min(alongAxis: -1, keepingDimension: true) }
    expectGradients("top-k", [x]) { $0[0].topK(2).values }
  }

  @Test func softmaxFamily() {
    let x = randomTensor([3, 4, 2], seed: 12)
    expectGradients("logSumExp", [x]) { $0[0].logSumExp(alongAxis: 1) }
    expectGradients("softmax", [x]) { $0[0].softmax(alongAxis: 1) }
    expectGradients("logSoftmax", [x]) { $0[0].logSoftmax() }
    expectGradients("l2Normalized", [x]) { $0[0].l2Normalized(alongAxis: 1) }
    // A row shorter than eps: PyTorch divides by eps there.
    let tiny = Tensor(shape: [2, 2], scalars: [1e-4, -2e-4, 0.5, 1.0])
    expectGradients("l2Normalized eps", [tiny], epsilon: 1e-5) { $0[0].l2Normalized(eps: 1e-2) }
  }

  @Test func matrixProducts() {
    let a = randomTensor([3, 4], seed: 13)
    let b = randomTensor([4, 5], seed: 14)
    expectGradients("matmul", [a, b]) { $0[0].matmul($0[1]) }
    expectGradients("matmul Aᵀ", [randomTensor([4, 3], seed: 15), b]) { $0[0].matmul($0[1], transposeSelf: true) }
    expectGradients("matmul Bᵀ", [a, randomTensor([5, 4], seed: 16)]) { $0[0].matmul($0[1], transposeOther: true) }
    expectGradients("matmul AᵀBᵀ", [randomTensor([4, 3], seed: 17), randomTensor([5, 4], seed: 18)]) {
      $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
    }
    expectGradients("batched", [randomTensor([2, 3, 4], seed: 19), randomTensor([2, 4, 2], seed: 20)]) {
      $0[0].batchedMatmul($0[1])
    }
  }

  @Test func shapeOps() {
    let x = randomTensor([2, 3, 4], seed: 21)
    let y = randomTensor([2, 2, 4], seed: 22)
    expectGradients("reshape", [x]) { $0[0].reshaped(to: [6, -1]) * $0[0].reshaped(to: [6, 4]) }
    expectGradients("permute", [x]) { $0[0].permuted([2, 0, 1]) }
    expectGradients("transpose", [randomTensor([3, 5], seed: 23)]) { $0[0].transposed() }
    expectGradients("broadcast", [randomTensor([3, 1], seed: 24)]) { $0[0].broadcast(to: [2, 3, 4]) }
    expectGradients("concatenate", [x, y]) { Tensor.concatenate([$0[0], $0[1]], alongAxis: 1) }
    expectGradients("split", [x]) { x in
      let parts = x[0].split(sizes: [1, 2], alongAxis: 1)
      return parts[0] * 2 + parts[1].sum(alongAxes: [1], keepingDimensions: true)
    }
    expectGradients("stack", [x, x * 2]) { Tensor.stack([$0[0], $0[1]], alongAxis: 1) }
    expectGradients("unstacked", [x]) { x in x[0].unstacked(alongAxis: 2)[1] * x[0].unstacked(alongAxis: 2)[3] }
    expectGradients("flattened", [x]) { $0[0].flattened() }
    expectGradients("indexSelect", [x]) { $0[0].indexSelect(alongAxis: 1, [2, 0, 2]) }
    expectGradients("gather", [randomTensor([3, 4], seed: 25)]) {
      $0[0].gather(alongAxis: 1, indices: [0, 3, 1, 1, 2, 0], indexShape: [3, 2])
    }
    let mask = Tensor(shape: [2, 3, 1], scalars: [1, 0, 1, 0, 0, 1])
    expectGradients("select", [x, randomTensor([4], seed: 26)]) { Tensor.select(mask, $0[0], $0[1]) }
  }

  @Test func losses() {
    let logits = randomTensor([4, 5], seed: 27)
    expectGradients("cross-entropy", [logits]) { $0[0].crossEntropy(labels: [0, 4, 2, 2]) }
    let targets = randomTensor([4, 5], seed: 28).softmax()
    expectGradients("soft cross-entropy", [logits, targets]) { $0[0].crossEntropy(softTargets: $0[1]) }
  }
}
