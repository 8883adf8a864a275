@testable import Engine
import Testing
import TestSupport

/// 3×3 stride-1 convolutions with 16 or more input channels on maps of 4×4 or more run
/// through Winograd's F(4×4, 3×3); these compare it with a direct float64 sum, odd image
/// sizes included (partial tiles), for the forward pass and for the input gradient, which is itself such a
/// convolution.
@Suite struct WinogradTests {
  let direct = DirectConvolution(padding: 1)

  @Test(arguments: [(9, 11, 64), (8, 8, 64), (13, 9, 64), (16, 10, 64), (4, 4, 128), (7, 7, 16), (5, 6, 16)])
  func forwardMatchesTheDirectSum(height: Int, width: Int, channels: Int) {
    var rng = RandomGenerator(seed: 11)
    let x = Tensor(randomNormal: [3, channels, height, width], using: &rng)
    let w = Tensor(randomNormal: [16, channels, 3, 3], using: &rng) * 0.05
    #expect(Winograd.applies(to: ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)))
    let y = withoutGradients { x.conv2d(w, stride: 1, padding: 1) }
    #expect(y.shape == [3, 16, height, width])
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
  }

  @Test func inputGradientMatchesTheDirectSum() {
    var rng = RandomGenerator(seed: 12)
    let x = Tensor(randomNormal: [2, 64, 9, 10], using: &rng).requiringGradient()
    let w = Tensor(randomNormal: [64, 64, 3, 3], using: &rng) * 0.05
    #expect(Winograd.applies(to: ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)))
    let seed = Tensor(randomNormal: [2, 64, 9, 10], using: &rng)
    let dx = gradients(of: x.conv2d(w, stride: 1, padding: 1), wrt: [x], seed: seed)[0]
    #expect(maxNormalizedError(dx.scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
  }

  /// Eleven 13×9 images: 12 tiles each, so a worker's images come in groups whose tile
  /// counts (84 and 48 on one thread in the forward pass) are padded to the combine
  /// kernel's 16 lanes, on one thread and on two; the weight gradient comes from the
  /// transforms' adjoints.
  @Test(arguments: [1, 2])
  func groupsOfImagesAndTheWeightGradientMatchTheDirectSums(threads: Int) {
    var rng = RandomGenerator(seed: 13)
    let x = Tensor(randomNormal: [11, 64, 13, 9], using: &rng).requiringGradient()
    let w = (Tensor(randomNormal: [16, 64, 3, 3], using: &rng) * 0.05).requiringGradient()
    let geometry = ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)
    #expect(Winograd.applies(to: geometry))
    #expect(Winograd.groupSize(geometry, images: 11) * Winograd.tiles(geometry) % 16 != 0)
    let seed = Tensor(randomNormal: [11, 16, 13, 9], using: &rng)
    let (y, g) = withThreads(ThreadCount(threads)) {
      let y = x.conv2d(w, stride: 1, padding: 1)
      return (y, gradients(of: y, wrt: [x, w], seed: seed))
    }
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
  }

  /// The weight gradient where the batch fills more than one group of ~256 tiles and the
  /// last group is short (28×28: 49 tiles, groups of 5 images, then 1), on 4×4 maps (one
  /// tile per image) and on 5×6 maps (partial tiles, 16 channels), on two threads, which
  /// split these layers' images and add their sums.
  @Test(arguments: [(11, 64, 28, 28, 16), (9, 128, 4, 4, 24), (7, 16, 5, 6, 33)])
  func weightGradientMatchesTheDirectSum(batch: Int, channels: Int, height: Int, width: Int, outChannels: Int) {
    var rng = RandomGenerator(seed: 14)
    let x = Tensor(randomNormal: [batch, channels, height, width], using: &rng)
    let w = (Tensor(randomNormal: [outChannels, channels, 3, 3], using: &rng) * 0.05).requiringGradient()
    #expect(Winograd.applies(to: ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)))
    let seed = Tensor(randomNormal: [batch, outChannels, height, width], using: &rng)
    let dw = withThreads(ThreadCount(2)) { gradients(of: x.conv2d(w, stride: 1, padding: 1), wrt: [w], seed: seed)[0] }
    #expect(maxNormalizedError(dw.scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
  }

  /// 256 input and 128 output channels (∂L/∂U over 4 MiB) split the output channels over
  /// the threads instead, so every sum over images keeps image order: one thread and two
  /// agree bit for bit.
  @Test func wideLayersSplitTheOutputChannels() {
    var rng = RandomGenerator(seed: 15)
    let x = Tensor(randomNormal: [3, 256, 4, 4], using: &rng)
    let w = (Tensor(randomNormal: [128, 256, 3, 3], using: &rng) * 0.05).requiringGradient()
    #expect(Winograd.points * 128 * 256 > 1 << 20)
    let seed = Tensor(randomNormal: [3, 128, 4, 4], using: &rng)
    let dw = withThreads(ThreadCount(2)) { gradients(of: x.conv2d(w, stride: 1, padding: 1), wrt: [w], seed: seed)[0] }
    #expect(maxNormalizedError(dw.scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    let single = withThreads(.one) { gradients(of: x.conv2d(w, stride: 1, padding: 1), wrt: [w], seed: seed)[0] }
    #expect(single.scalars.elementsEqual(dw.scalars), "one thread and two differ")
  }
}
