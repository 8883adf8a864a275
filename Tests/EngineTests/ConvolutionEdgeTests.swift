@testable import Engine
import Testing
import TestSupport

/// Maps one row or one column high, where a padded kernel's shifted rows fall entirely
/// outside the image: the im2col path must write zeros there and nothing past its buffer.
@Suite struct ConvolutionEdgeTests {
  @Test(arguments: [(1, 5), (5, 1), (1, 1), (2, 3)])
  func thinMapsMatchTheDirectSum(height: Int, width: Int) {
    var rng = RandomGenerator(seed: 41)
    let x = Tensor(randomNormal: [3, 4, height, width], using: &rng).requiringGradient()
    let w = Tensor(randomNormal: [5, 4, 3, 3], using: &rng).requiringGradient()
    let direct = DirectConvolution(padding: 1)
    let y = x.conv2d(w, stride: 1, padding: 1)
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
    let seed = Tensor(randomNormal: y.shape, using: &rng)
    let g = gradients(of: y, wrt: [x, w], seed: seed)
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
  }

  /// Kernels taller or wider than the map (5×5 and 7×7 on one or two rows): some kernel
  /// offsets read no image row or column at all.
  @Test(arguments: [(1, 6, 5), (2, 3, 7), (6, 1, 5)])
  func kernelsLargerThanTheMapMatchTheDirectSum(height: Int, width: Int, kernel: Int) {
    var rng = RandomGenerator(seed: 42)
    let padding = kernel / 2
    let x = Tensor(randomNormal: [2, 2, height, width], using: &rng).requiringGradient()
    let w = Tensor(randomNormal: [3, 2, kernel, kernel], using: &rng).requiringGradient()
    let direct = DirectConvolution(padding: padding)
    let y = x.conv2d(w, stride: 1, padding: padding)
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
    let seed = Tensor(randomNormal: y.shape, using: &rng)
    let g = gradients(of: y, wrt: [x, w], seed: seed)
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
  }

  /// Small maps put several images into one GEMM (forward and backward): every batch
  /// size, at one and two threads, must give the direct sums, the input gradient
  /// included (ResNet-50's last stage: 3x3 on 4x4 maps, 1x1 and 3x3 stride 2 on 7x7).
  @Test(arguments: [(32, 4, 3, 1), (16, 7, 3, 2), (16, 7, 1, 2), (8, 2, 3, 1)])
  func smallMapsMatchTheDirectSumAtEveryBatchSize(channels: Int, size: Int, kernel: Int, stride: Int) {
    var rng = RandomGenerator(seed: 43)
    let direct = DirectConvolution(stride: stride, padding: kernel / 2)
    for threads in [1, 2] {
      for batch in [1, 2, 3, 4, 5, 8, 9, 16] {
        // Buffers recycled from earlier work hold old values: leave NaN in the sizes this
        // case allocates, so a buffer read before it is written fails the comparison.
        for count in [batch * channels * size * size, batch * channels * kernel * kernel * size * size, channels * channels * kernel * kernel] {
          _ = [Tensor(shape: [count], scalars: [Float](repeating: .nan, count: count)), Tensor(shape: [count], scalars: [Float](repeating: .nan, count: count))]
        }
        let x = Tensor(randomNormal: [batch, channels, size, size], using: &rng).requiringGradient()
        let w = Tensor(randomNormal: [channels, channels, kernel, kernel], using: &rng).requiringGradient()
        let (y, g, seed) = withThreads(ThreadCount(threads)) {
          let y = x.conv2d(w, stride: stride, padding: kernel / 2)
          let seed = Tensor(randomNormal: y.shape, using: &rng)
          return (y, gradients(of: y, wrt: [x, w], seed: seed), seed)
        }
        let what = "batch \(batch), \(threads) thread(s)"
        #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5, "forward, \(what)")
        #expect(
          maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5, "dw, \(what)")
        #expect(
          maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5, "dx, \(what)")
      }
    }
  }

  /// Maps of at most 16×16 take their patches from an index table (`PatchTable`): odd
  /// strides, no or wide padding, even and non-square kernels, and the 256-value limit.
  @Test(arguments: [(5, 9, 3, 3, 3, 0), (6, 4, 5, 5, 2, 2), (16, 16, 3, 3, 2, 1), (7, 3, 2, 2, 2, 0), (9, 5, 1, 3, 1, 1)])
  func smallMapsAtOddStridesAndPaddingsMatchTheDirectSum(
    height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
  ) {
    var rng = RandomGenerator(seed: 44)
    let x = Tensor(randomNormal: [3, 4, height, width], using: &rng).requiringGradient()
    let w = Tensor(randomNormal: [5, 4, kernelHeight, kernelWidth], using: &rng).requiringGradient()
    #expect(PatchTable.applies(to: ConvGeometry(input: x.shape, weight: w.shape, stride: stride, padding: padding)))
    let direct = DirectConvolution(stride: stride, padding: padding)
    let y = x.conv2d(w, stride: stride, padding: padding)
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
    let seed = Tensor(randomNormal: y.shape, using: &rng)
    let g = gradients(of: y, wrt: [x, w], seed: seed)
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
  }
}
