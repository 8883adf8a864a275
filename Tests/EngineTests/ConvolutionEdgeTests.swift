import Engine
import Testing
import TestSupport

/// Maps one row or one column high, where a padded 3×3 kernel's shifted rows fall
/// entirely outside the image: the im2col path must write zeros there and nothing past
/// its buffer.
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
}
