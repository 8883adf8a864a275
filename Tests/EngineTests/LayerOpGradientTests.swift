import Engine
import Testing
import TestSupport

/// Finite-difference checks of the convolution, pooling and batch-norm ops, with one
/// and two threads (the batch split and the multi-image GEMM groups differ).
@Suite struct LayerOpGradientTests {
  func expectGradients(
    _ name: String, _ inputs: [Tensor], tolerance: Float = 3e-3, _ function: @escaping ([Tensor]) -> Tensor
  ) {
    for threads in [ThreadCount.one, ThreadCount(2)] {
      let errors = withThreads(threads) { gradientErrors(of: function, at: inputs) }
      for (i, error) in errors.enumerated() {
        #expect(error < tolerance, "\(name) (\(threads.value) threads): input \(i) relative gradient error \(error)")
      }
    }
  }

  @Test(arguments: [
    (kernel: 3, stride: 1, padding: 1, size: 5),
    (kernel: 3, stride: 2, padding: 1, size: 6),
    (kernel: 1, stride: 1, padding: 0, size: 4),
    (kernel: 1, stride: 2, padding: 0, size: 5),
    (kernel: 7, stride: 2, padding: 3, size: 9),
    (kernel: 3, stride: 1, padding: 0, size: 5),
  ])
  func convolution(kernel: Int, stride: Int, padding: Int, size: Int) {
    let x = randomTensor([3, 2, size, size], seed: 1)
    let w = randomTensor([3, 2, kernel, kernel], seed: 2) * 0.5
    expectGradients("conv2d k\(kernel) s\(stride) p\(padding)", [x, w]) { $0[0].conv2d($0[1], stride: stride, padding: padding) }
  }

  @Test func convolutionMatchesDirectSum() {
    let x = randomTensor([5, 3, 7, 6], seed: 3)
    let w = randomTensor([4, 3, 3, 3], seed: 4)
    for threads in [ThreadCount.one, ThreadCount(2)] {
      let y = withThreads(threads) { x.conv2d(w, stride: 2, padding: 1) }
      #expect(y.shape == [5, 4, 4, 3])
      var expected = [Float]()
      for n in 0..<5 {
        for o in 0..<4 {
          for oy in 0..<4 {
            for ox in 0..<3 {
              var sum = 0.0
              for c in 0..<3 {
                for ky in 0..<3 {
                  for kx in 0..<3 {
                    let iy = oy * 2 - 1 + ky
                    let ix = ox * 2 - 1 + kx
                    if iy >= 0 && iy < 7 && ix >= 0 && ix < 6 { sum += Double(x[n, c, iy, ix]) * Double(w[o, c, ky, kx]) }
                  }
                }
              }
              expected.append(Float(sum))
            }
          }
        }
      }
      #expect(maxRelativeError(y.scalars, expected) < 1e-5)
    }
  }

  @Test func pooling() {
    // Distinct values so that window maxima are unique.
    var rng = RandomGenerator(seed: 5)
    let values = rng.permutation(2 * 3 * 7 * 7).map { Float($0) / 50 }
    let x = Tensor(shape: [2, 3, 7, 7], scalars: values)
    expectGradients("maxPool2d 3/2/1", [x]) { $0[0].maxPool2d(kernelSize: 3, stride: 2, padding: 1) }
    expectGradients("maxPool2d 2/2", [x]) { $0[0].maxPool2d(kernelSize: 2, stride: 2) }
    expectGradients("globalAveragePool", [randomTensor([2, 3, 4, 5], seed: 6)]) { $0[0].globalAveragePool() }
  }

  @Test func maxPoolValues() {
    let x = Tensor(shape: [1, 1, 3, 3], scalars: [1, 5, 2, 4, 3, 9, 0, 8, 7])
    #expect(x.maxPool2d(kernelSize: 3, stride: 2, padding: 1).scalars == [5, 9, 8, 9])
  }

  @Test func batchNorm() {
    let x = randomTensor([3, 4, 3, 2], seed: 7) * 2 + 1
    let gamma = randomTensor([4], seed: 8)
    let beta = randomTensor([4], seed: 9)
    expectGradients("batchNorm train 2d", [x, gamma, beta]) { $0[0].batchNormalized(weight: $0[1], bias: $0[2], eps: 1e-5).0 }
    expectGradients("batchNorm train 1d", [randomTensor([5, 3], seed: 10), randomTensor([3], seed: 11), randomTensor([3], seed: 12)]) {
      $0[0].batchNormalized(weight: $0[1], bias: $0[2], eps: 1e-5).0
    }
    expectGradients("batchNorm train, no affine", [x]) { $0[0].batchNormalized(weight: nil, bias: nil, eps: 1e-5).0 }
    let mean = randomTensor([4], seed: 13)
    let variance = randomTensor([4], seed: 14).abs() + 0.5
    expectGradients("batchNorm eval", [x, gamma, beta]) {
      $0[0].batchNormalized(mean: mean, variance: variance, weight: $0[1], bias: $0[2], eps: 1e-5)
    }
    // A constant input (only γ and β learn) takes its own path through the backward pass.
    expectGradients("batchNorm eval, constant input", [gamma, beta]) {
      x.batchNormalized(mean: mean, variance: variance, weight: $0[0], bias: $0[1], eps: 1e-5, relu: true)
    }
  }

  @Test func batchNormWithResidualAndReLU() {
    let x = randomTensor([3, 4, 3, 2], seed: 15) * 2 + 1
    let gamma = randomTensor([4], seed: 16)
    let beta = randomTensor([4], seed: 17)
    let mean = randomTensor([4], seed: 19)
    let variance = randomTensor([4], seed: 20).abs() + 0.5
    // Residuals that put bn(x) + residual at least 0.1 away from the ReLU's kink.
    let target = awayFromZero([3, 4, 3, 2], low: 0.1, high: 1, seed: 18)
    let trainResidual = target - x.batchNormalized(weight: gamma, bias: beta, eps: 1e-5).0
    let evalResidual = target - x.batchNormalized(mean: mean, variance: variance, weight: gamma, bias: beta, eps: 1e-5)
    expectGradients("batchNorm train + residual + relu", [x, gamma, beta, trainResidual]) {
      $0[0].batchNormalized(weight: $0[1], bias: $0[2], eps: 1e-5, adding: $0[3], relu: true).0
    }
    expectGradients("batchNorm eval + residual + relu", [x, gamma, beta, evalResidual]) {
      $0[0].batchNormalized(mean: mean, variance: variance, weight: $0[1], bias: $0[2], eps: 1e-5, adding: $0[3], relu: true)
    }
    // Every fused form gives the values and gradients of the composed ops.
    let residual = randomTensor([3, 4, 3, 2], seed: 21)
    let seed = randomTensor([3, 4, 3, 2], seed: 22)
    for training in [true, false] {
      for (useResidual, relu) in [(true, true), (false, true), (true, false)] {
        let inputs = [x, gamma, beta, residual].map { $0.requiringGradient() }
        func normalize(_ t: [Tensor], fused: Bool) -> Tensor {
          let add = useResidual ? t[3] : nil
          if fused {
            return training
              ? t[0].batchNormalized(weight: t[1], bias: t[2], eps: 1e-5, adding: add, relu: relu).0
              : t[0].batchNormalized(mean: mean, variance: variance, weight: t[1], bias: t[2], eps: 1e-5, adding: add, relu: relu)
          }
          var y = training
            ? t[0].batchNormalized(weight: t[1], bias: t[2], eps: 1e-5).0
            : t[0].batchNormalized(mean: mean, variance: variance, weight: t[1], bias: t[2], eps: 1e-5)
          if let add { y = y + add }
          return relu ? y.relu() : y
        }
        let fused = normalize(inputs, fused: true)
        let composed = normalize(inputs, fused: false)
        #expect(maxRelativeError(fused.scalars, composed.scalars) < 1e-6)
        let a = gradients(of: fused, wrt: useResidual ? inputs : Array(inputs.prefix(3)), seed: seed)
        let b = gradients(of: composed, wrt: useResidual ? inputs : Array(inputs.prefix(3)), seed: seed)
        for (ga, gb) in zip(a, b) {
          #expect(maxRelativeError(ga.scalars, gb.scalars) < 1e-5, "training \(training) residual \(useResidual) relu \(relu)")
        }
      }
    }
  }

  @Test func batchNormStatistics() {
    let x = Tensor(shape: [2, 2, 2], scalars: [1, 2, 10, 20, 3, 4, 30, 40])
    let (y, stats) = x.batchNormalized(weight: nil, bias: nil, eps: 0)
    #expect(stats.mean == [2.5, 25] && stats.count == 4)
    #expect(stats.variance == [1.25, 125])
    #expect(abs(y.scalars[0] + 1.5 / Float(1.25).squareRoot()) < 1e-6)
  }
}
