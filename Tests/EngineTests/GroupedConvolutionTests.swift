@testable import Engine
import Testing
import TestSupport

/// Late-stage maps go through im2col with several images per product; 7×7 maps group 16
/// images (784 columns, a multiple of the combine kernel's 16 lanes). Eight input channels,
/// too few for Winograd. Forward pass and both gradients against direct float64 sums.
@Suite struct GroupedConvolutionTests {
  @Test func sixteenImagesOfSevenBySevenPerProduct() {
    var rng = RandomGenerator(seed: 51)
    let x = Tensor(randomNormal: [64, 8, 7, 7], using: &rng).requiringGradient()
    let w = (Tensor(randomNormal: [16, 8, 3, 3], using: &rng) * 0.1).requiringGradient()
    let geometry = ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)
    #expect(geometry.groupSize(images: 64) == 16)
    #expect(!PaddedConvolution.applies(to: geometry) && !Winograd.applies(to: geometry))
    let seed = Tensor(randomNormal: [64, 16, 7, 7], using: &rng)
    // One thread: a single range of 64 images, so four products of 16.
    let (y, g) = withThreads(.one) {
      let y = x.conv2d(w, stride: 1, padding: 1)
      return (y, gradients(of: y, wrt: [x, w], seed: seed))
    }
    let direct = DirectConvolution(padding: 1)
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
  }
}

/// The late stage of a width-16 ResNet-18 on 28×28 images (layer4: 128 channels on 4×4
/// maps) with the batch of a SimCLR step, on two threads: forward, input gradient and
/// weight gradient against direct float64 sums.
@Suite struct LateStageConvolutionTests {
  @Test(arguments: [(128, 4, 256), (64, 7, 64), (128, 4, 16), (64, 4, 40)])
  func matchesDirectSums(channels: Int, side: Int, batch: Int) {
    var rng = RandomGenerator(seed: 52)
    let x = Tensor(randomNormal: [batch, channels, side, side], using: &rng).requiringGradient()
    let w = (Tensor(randomNormal: [channels, channels, 3, 3], using: &rng) * 0.05).requiringGradient()
    let seed = Tensor(randomNormal: [batch, channels, side, side], using: &rng)
    let (y, g) = withThreads(ThreadCount(2)) {
      let y = x.conv2d(w, stride: 1, padding: 1)
      return (y, gradients(of: y, wrt: [x, w], seed: seed))
    }
    let direct = DirectConvolution(padding: 1)
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
  }
}
