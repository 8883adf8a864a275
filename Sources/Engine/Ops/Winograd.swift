import Foundation
import SIMDKernels

/// Winograd's minimal filtering F(4×4, 3×3) for 3×3, stride-1, padding-1 convolutions,
/// the bulk of every ResNet (Lavin & Gray, 2016).
///
/// Each 6×6 input tile d becomes V = Bᵀ d B, each 3×3 kernel g becomes U = G g Gᵀ, and the
/// 4×4 output tile is Aᵀ (U ⊙ V) A, with interpolation points 0, 1, −1, 2, −1/2 and ∞
/// (half the largest rounding error of Lavin & Gray's 0, ±1, ±2; Barabasz et al., 2020).
/// Summed over input channels, the elementwise products are 36 independent matrix
/// products [out, in] × [in, tiles]: 36 multiplications per 16 outputs instead of 144 (4x
/// fewer flops; F(2×2, 3×3), which this replaced, saves 2.25x), on data that the
/// transforms expand 2.25x instead of 4x. The price is rounding: the transforms'
/// coefficients (up to 8) leave outputs a few times further from exact sums than im2col's
/// (~1e-6 of the largest output against ~3e-7).
enum Winograd {
  /// Whether `geometry` is a convolution this method computes, and one where it pays
  /// (measured with `clens-bench conv` on ResNet-18 at widths 16 and 64): every layer from
  /// 16 input channels and 4×4 maps up; the 16-channel 28×28 forward pass takes 3.7 cpu-ms
  /// against the padded-image kernels' 5.4.
  static func applies(to geometry: ConvGeometry) -> Bool {
    geometry.kernelHeight == 3 && geometry.kernelWidth == 3 && geometry.stride == 1 && geometry.padding == 1
      && geometry.inChannels >= 16 && geometry.height >= 4 && geometry.width >= 4
  }

  /// Values per transformed tile.
  static let points = 36

  /// U = G g Gᵀ for every (out, in) kernel, stored as [36][out][in], by the vectorised C
  /// kernel.
  static func transformedKernel(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int) -> TensorStorage {
    let pairs = outChannels * inChannels
    let u = TensorStorage(uninitializedCount: points * pairs)
    let weights = ConstPointer(w)
    let target = SendablePointer(u)
    forEachRange(pairs, minimumPerThread: 4096) { range in
      clens_winograd4_kernel(weights.base, range.lowerBound, range.upperBound, pairs, target.base)
    }
    return u
  }

  /// Tiles per image: ⌈H/4⌉ · ⌈W/4⌉.
  static func tiles(_ geo: ConvGeometry) -> Int {
    (geo.height + 3) / 4 * ((geo.width + 3) / 4)
  }

  /// V = Bᵀ d B for the tiles of `count` images from `image`, into [36][in][stride]
  /// (`stride` ≥ the group's tiles): one channel of every image at a time by the
  /// vectorised C kernel.
  static func transformInput(
    _ x: UnsafePointer<Float>, _ geo: ConvGeometry, image: Int, count: Int, stride: Int,
    into v: UnsafeMutablePointer<Float>, scratch: Scratch
  ) {
    for c in 0..<geo.inChannels {
      clens_winograd4_input(x + (image * geo.inChannels + c) * geo.inputPlane, geo.inChannels * geo.inputPlane, count,
        geo.height, geo.width, v + c * stride, geo.inChannels * stride, scratch.pointer)
    }
  }

  /// y = Aᵀ m A for every tile of [36][out][stride], written into NCHW images from `image`
  /// (a tile's rows and columns past the image dropped).
  static func transformOutput(
    _ m: UnsafePointer<Float>, _ geo: ConvGeometry, image: Int, count: Int, stride: Int,
    into y: UnsafeMutablePointer<Float>, scratch: Scratch
  ) {
    for o in 0..<geo.outChannels {
      clens_winograd4_output(m + o * stride, geo.outChannels * stride, count, geo.height, geo.width,
        y + (image * geo.outChannels + o) * geo.outputPlane, geo.outChannels * geo.outputPlane, scratch.pointer)
    }
  }

  /// Images per batch of tiles for one worker: enough tiles for wide products, few
  /// enough that the transformed input and output (36 floats per tile and channel) stay
  /// near a core's L2 (1 MiB) between the transforms and the products.
  static func groupSize(_ geo: ConvGeometry, images: Int) -> Int {
    let maxTiles = max(64, 7_282 / (geo.inChannels + geo.outChannels))
    return max(1, min(images, maxTiles / tiles(geo)))
  }

  /// The plan's image ranges, merged where they hold fewer images than a group: on 4×4
  /// maps (one tile per image) a range of 16 images read all of U for 16 columns, and the
  /// 512-channel layer took 58 cpu-ms against 51 with two ranges of 64.
  static func ranges(_ geo: ConvGeometry, plan: ConvPlan) -> [Range<Int>] {
    guard plan.gemmThreads == .one else { return plan.ranges }
    let parts = geo.batch / groupSize(geo, images: geo.batch)
    return parts >= plan.ranges.count ? plan.ranges
      : evenRanges(geo.batch, parts: max(ComputeContext.current.threads.value, parts))
  }
}

/// The forward pass by F(4×4, 3×3): the batch split over workers as in the im2col path,
/// each worker transforming a group of images, running 36 products and transforming back.
func winogradForward(_ geo: ConvGeometry, x: ConstPointer, w: ConstPointer, y: SendablePointer<Float>, plan: ConvPlan) {
  let u = Winograd.transformedKernel(w.base, outChannels: geo.outChannels, inChannels: geo.inChannels)
  let up = ConstPointer(u.pointer)
  let points = Winograd.points
  let ranges = Winograd.ranges(geo, plan: plan)
  withExtendedLifetime(u) {
    parallelFor(chunks: ranges.count, threads: ComputeContext.current.threads) { worker in
      let range = ranges[worker]
      let group = Winograd.groupSize(geo, images: range.count)
      // Tiles rounded up to the combine kernel's 16 lanes: the products go through it
      // instead of SGEMM, which packs its operands. The extra columns (zeros, or an earlier
      // group's tiles) are never read from M.
      let stride = (group * Winograd.tiles(geo) + 15) / 16 * 16
      let v = Scratch(points * geo.inChannels * stride)
      v.pointer.initialize(repeating: 0, count: v.count)
      let m = Scratch(points * geo.outChannels * stride)
      let scratch = Scratch(clens_winograd4_scratch(group, geo.height, geo.width))
      var image = range.lowerBound
      while image < range.upperBound {
        let count = min(group, range.upperBound - image)
        let columns = (count * Winograd.tiles(geo) + 15) / 16 * 16
        Winograd.transformInput(x.base, geo, image: image, count: count, stride: stride, into: v.pointer, scratch: scratch)
        for xi in 0..<points {
          convolutionProduct(
            m: geo.outChannels, n: columns, k: geo.inChannels, a: up.base + xi * geo.outChannels * geo.inChannels,
            lda: geo.inChannels, b: v.pointer + xi * geo.inChannels * stride, ldb: stride,
            c: m.pointer + xi * geo.outChannels * stride, ldc: stride, threads: plan.gemmThreads)
        }
        Winograd.transformOutput(m.pointer, geo, image: image, count: count, stride: stride, into: y.base, scratch: scratch)
        image += count
      }
    }
  }
}

/// The weight gradient by F(4×4, 3×3)'s adjoint: the forward pass computes each output
/// tile as Aᵀ (U ⊙ V) A with U = G g Gᵀ, so ∂L/∂U = Σ over tiles (A dy Aᵀ) ⊙ V, 36 products
/// [out, tiles] × [tiles, in], and ∂L/∂g = Gᵀ (∂L/∂U) G: 4x fewer multiplications than
/// the direct sums.
///
/// Where ∂L/∂U is small (up to 4 MiB: 128 channels), the images are split over the
/// threads, each summing its own copy, added in thread order; so each input is
/// transformed once, which matters on thin layers, where the transforms are most of the
/// work. Wider layers split the output channels instead, each thread transforming every
/// image's input (a small share of their work) into one shared ∂L/∂U, which for 512
/// channels is 38 MB; their sums over images then run in image order whatever the thread
/// count.
func winogradWeightGradient(_ geo: ConvGeometry, x: ConstPointer, dy: ConstPointer) -> TensorStorage {
  let points = Winograd.points
  let pairs = geo.outChannels * geo.inChannels
  let threads = ComputeContext.current.threads
  let splitImages = points * pairs <= 1 << 20
  let parts = splitImages
    ? evenRanges(geo.batch, parts: threads.value).map { (images: $0, channels: 0..<geo.outChannels) }
    : evenRanges(geo.outChannels, parts: threads.value).map { (images: 0..<geo.batch, channels: $0) }
  let sums = (0..<(splitImages ? parts.count : 1)).map { _ in TensorStorage(count: points * pairs, repeating: 0) }
  let targets = sums.map { SendablePointer($0) }
  parallelFor(chunks: parts.count, threads: threads) { part in
    let target = targets[splitImages ? part : 0]
    accumulateKernelGradient(geo, x: x, dy: dy, images: parts[part].images, channels: parts[part].channels,
      into: target.base + parts[part].channels.lowerBound * geo.inChannels)
  }
  let gradientOfU = summed(sums)
  let dw = TensorStorage(uninitializedCount: pairs * 9)
  let source = ConstPointer(gradientOfU.pointer)
  let weights = SendablePointer(dw)
  withExtendedLifetime(gradientOfU) {
    forEachRange(pairs, minimumPerThread: 4096) { range in
      clens_winograd4_kernel_adjoint(source.base, range.lowerBound, range.upperBound, pairs, weights.base)
    }
  }
  return dw
}

/// Adds Σ over the tiles of `images` of (A dy Aᵀ) ⊙ (Bᵀ x B) for the output channels
/// `channels` into ∂L/∂U ([36][out][in]; `target` points at the first channel's row), in
/// groups of about 256 tiles, in image order.
private func accumulateKernelGradient(
  _ geo: ConvGeometry, x: ConstPointer, dy: ConstPointer, images: Range<Int>, channels: Range<Int>,
  into target: UnsafeMutablePointer<Float>
) {
  let points = Winograd.points
  let tilesPerImage = Winograd.tiles(geo)
  let group = max(1, min(images.count, 256 / tilesPerImage))
  let stride = (group * tilesPerImage + 15) / 16 * 16
  let v = Scratch(points * geo.inChannels * stride)
  let gradient = Scratch(points * channels.count * stride)
  let scratch = Scratch(clens_winograd4_scratch(group, geo.height, geo.width))
  var image = images.lowerBound
  while image < images.upperBound {
    let count = min(group, images.upperBound - image)
    let tiles = count * tilesPerImage
    let columns = (tiles + 15) / 16 * 16
    Winograd.transformInput(x.base, geo, image: image, count: count, stride: stride, into: v.pointer, scratch: scratch)
    for o in channels {
      clens_winograd4_output_adjoint(dy.base + (image * geo.outChannels + o) * geo.outputPlane,
        geo.outChannels * geo.outputPlane, count, geo.height, geo.width, gradient.pointer + (o - channels.lowerBound) * stride,
        channels.count * stride, scratch.pointer)
    }
    // The columns past this group's tiles enter the sums: zeros in both operands.
    for row in 0..<points * geo.inChannels { (v.pointer + row * stride + tiles).initialize(repeating: 0, count: columns - tiles) }
    for row in 0..<points * channels.count {
      (gradient.pointer + row * stride + tiles).initialize(repeating: 0, count: columns - tiles)
    }
    for xi in 0..<points {
      gemm(transposeB: true, m: channels.count, n: geo.inChannels, k: columns,
        a: gradient.pointer + xi * channels.count * stride, lda: stride, b: v.pointer + xi * geo.inChannels * stride,
        ldb: stride, beta: 1, c: target + xi * geo.outChannels * geo.inChannels, ldc: geo.inChannels)
    }
    image += count
  }
}
