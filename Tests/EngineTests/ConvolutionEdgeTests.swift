import Engine
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
}
