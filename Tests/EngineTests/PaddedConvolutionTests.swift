@testable import Engine
import Testing
import TestSupport

/// Convolutions with kernels larger than 1×1, at least 64 patch entries and wide output
/// maps, other than Winograd's (3×3 stride 1 from 16 channels), run on the padded-image
/// kernels; these compare the
/// forward pass, the weight gradient and the input gradient with direct float64 sums, for
/// channel counts off the kernels' 16 lanes, odd map sizes, 5×5 and 7×7 kernels, strides
/// 2 and 3 (phase planes) and unpadded ("valid") convolutions.
@Suite struct PaddedConvolutionTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int
    var testDescription: String {
      "\(batch)x\(inChannels)x\(height)x\(width) → \(outChannels), \(kernel)x\(kernel) stride \(stride) padding \(padding)"
    }
  }

  static let cases = [
    Case(batch: 3, inChannels: 8, outChannels: 10, height: 13, width: 19, kernel: 3, stride: 1, padding: 1),
    Case(batch: 2, inChannels: 12, outChannels: 33, height: 16, width: 16, kernel: 3, stride: 1, padding: 1),
    Case(batch: 2, inChannels: 3, outChannels: 16, height: 20, width: 21, kernel: 5, stride: 1, padding: 2),
    Case(batch: 3, inChannels: 8, outChannels: 17, height: 12, width: 22, kernel: 3, stride: 1, padding: 0),
    Case(batch: 2, inChannels: 12, outChannels: 16, height: 28, width: 28, kernel: 3, stride: 1, padding: 1),
    Case(batch: 2, inChannels: 16, outChannels: 20, height: 28, width: 28, kernel: 3, stride: 2, padding: 1),
    Case(batch: 2, inChannels: 8, outChannels: 16, height: 17, width: 19, kernel: 3, stride: 2, padding: 1),
    Case(batch: 2, inChannels: 3, outChannels: 16, height: 40, width: 46, kernel: 7, stride: 2, padding: 3),
    Case(batch: 2, inChannels: 8, outChannels: 8, height: 27, width: 50, kernel: 3, stride: 3, padding: 0),
  ]

  @Test(arguments: cases)
  func matchesTheDirectSums(_ c: Case) {
    var rng = RandomGenerator(seed: 21)
    let x = Tensor(randomNormal: [c.batch, c.inChannels, c.height, c.width], using: &rng).requiringGradient()
    let w = (Tensor(randomNormal: [c.outChannels, c.inChannels, c.kernel, c.kernel], using: &rng) * 0.1)
      .requiringGradient()
    let geometry = ConvGeometry(input: x.shape, weight: w.shape, stride: c.stride, padding: c.padding)
    #expect(withThreads(ThreadCount(2)) { PaddedConvolution.applies(to: geometry, plan: ConvPlan(batch: c.batch)) })
    #expect(!Winograd.applies(to: geometry))
    let direct = DirectConvolution(stride: c.stride, padding: c.padding)
    let y = withThreads(ThreadCount(2)) { x.conv2d(w, stride: c.stride, padding: c.padding) }
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)

    let seed = Tensor(randomNormal: y.shape, using: &rng)
    let g = withThreads(ThreadCount(2)) { gradients(of: y, wrt: [x, w], seed: seed) }
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
  }

  /// A batch split into several image ranges per thread, handed out dynamically: the same
  /// sums as the reference, and the forward pass bit for bit the same as on one thread.
  @Test func manyImageRangesOnTwoThreads() {
    var rng = RandomGenerator(seed: 22)
    let x = Tensor(randomNormal: [40, 12, 14, 14], using: &rng).requiringGradient()
    let w = (Tensor(randomNormal: [16, 12, 3, 3], using: &rng) * 0.1).requiringGradient()
    let seed = Tensor(randomNormal: [40, 16, 14, 14], using: &rng)
    let (y, g, plan) = withThreads(ThreadCount(2)) {
      let y = x.conv2d(w, stride: 1, padding: 1)
      return (y, gradients(of: y, wrt: [x, w], seed: seed), ConvPlan(batch: 40))
    }
    #expect(plan.ranges.count == 5)
    let direct = DirectConvolution(padding: 1)
    #expect(maxNormalizedError(y.scalars, direct.forward(x, w)) < 1e-5)
    #expect(maxNormalizedError(g[1].scalars, direct.weightGradient(x, seed, weightShape: w.shape)) < 1e-5)
    #expect(maxNormalizedError(g[0].scalars, direct.inputGradient(seed, w, inputShape: x.shape)) < 1e-5)
    let single = withThreads(.one) { withoutGradients { x.conv2d(w, stride: 1, padding: 1) } }
    #expect(single.scalars == y.scalars)
  }

  @Test func smallMapsShortPatchesAndPointwiseStayOnTheGEMMPath() {
    let stem = ConvGeometry(input: [2, 1, 28, 28], weight: [16, 1, 3, 3], stride: 1, padding: 1)
    let late = ConvGeometry(input: [2, 64, 7, 7], weight: [64, 64, 3, 3], stride: 1, padding: 1)
    let stridedTo8x8 = ConvGeometry(input: [2, 128, 16, 16], weight: [256, 128, 3, 3], stride: 2, padding: 1)
    let downsample = ConvGeometry(input: [2, 64, 28, 28], weight: [128, 64, 1, 1], stride: 2, padding: 0)
    #expect(!PaddedConvolution.applies(to: stem))
    #expect(!PaddedConvolution.applies(to: late))
    #expect(!PaddedConvolution.applies(to: stridedTo8x8))
    #expect(!PaddedConvolution.applies(to: downsample))
    // One image on two threads: the single-threaded kernels would leave a core idle.
    let layer = ConvGeometry(input: [1, 16, 28, 28], weight: [16, 16, 3, 3], stride: 1, padding: 1)
    #expect(PaddedConvolution.applies(to: layer))
    #expect(!withThreads(ThreadCount(2)) { PaddedConvolution.applies(to: layer, plan: ConvPlan(batch: 1)) })
  }
}
