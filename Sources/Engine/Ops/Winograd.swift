import Foundation
import SIMDKernels

/// Winograd's minimal filtering F(4×4, 3×3) for 3×3, stride-1, padding-1 convolutions,
/// the bulk of every ResNet (Lavin & Gray, 2016).
///
/// Each 6×6 input tile d becomes V = Bᵀ d B, each 3×3 kernel g becomes U = G g Gᵀ, and the
/// 4×4 output tile is Aᵀ (U ⊙ V) A, with interpolation points 0, ±1, ±2 and ∞. Summed over
/// input channels, the elementwise products are 36 independent matrix products
/// [out, in] × [in, tiles]: 36 multiplications per 16 outputs instead of 144 (4x fewer
/// flops; F(2×2, 3×3), which this replaced, saves 2.25x), on data that the transforms
/// expand 2.25x instead of 4x. The price is rounding: the transforms' coefficients up to 8
/// leave results within ~1e-6 of the largest output, against ~1e-7 for im2col.
enum Winograd {
  /// Whether `geometry` is a convolution this method computes, and one where it pays
  /// (measured on ResNet-18/20 training and PGD): with fewer than 64 input channels or
  /// maps smaller than 8×8 the transforms cost more than the multiplications saved.
  static func applies(to geometry: ConvGeometry) -> Bool {
    geometry.kernelHeight == 3 && geometry.kernelWidth == 3 && geometry.stride == 1 && geometry.padding == 1
      && geometry.inChannels >= 64 && geometry.height >= 8 && geometry.width >= 8
  }

  /// Values per transformed tile.
  static let points = 36

  /// G·(a, b, c) for F(4×4, 3×3): (a/4, −(a + b + c)/6, −(a − b + c)/6,
  /// a/24 + b/12 + c/6, a/24 − b/12 + c/6, c), in Double so that U is rounded once.
  static func spread(_ a: Double, _ b: Double, _ c: Double) -> [Double] {
    [a / 4, -(a + b + c) / 6, -(a - b + c) / 6, a / 24 + b / 12 + c / 6, a / 24 - b / 12 + c / 6, c]
  }

  /// U = G g Gᵀ for every (out, in) kernel, stored as [36][out][in].
  static func transformedKernel(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int) -> TensorStorage {
    let pairs = outChannels * inChannels
    let u = TensorStorage(uninitializedCount: points * pairs)
    let weights = ConstPointer(w)
    let target = SendablePointer(u)
    forEachRange(pairs, minimumPerThread: 1024) { range in
      for pair in range {
        let g = (0..<9).map { Double(weights.base[pair * 9 + $0]) }
        // G g, column by column (six rows each), then G on each of its rows.
        let columns = (0..<3).map { spread(g[$0], g[3 + $0], g[6 + $0]) }
        for i in 0..<6 {
          let row = spread(columns[0][i], columns[1][i], columns[2][i])
          for j in 0..<6 { target.base[(6 * i + j) * pairs + pair] = Float(row[j]) }
        }
      }
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
}

/// The forward pass by F(4×4, 3×3): the batch split over workers as in the im2col path,
/// each worker transforming a group of images, running 36 products and transforming back.
func winogradForward(_ geo: ConvGeometry, x: ConstPointer, w: ConstPointer, y: SendablePointer<Float>, plan: ConvPlan) {
  let u = Winograd.transformedKernel(w.base, outChannels: geo.outChannels, inChannels: geo.inChannels)
  let up = ConstPointer(u.pointer)
  let points = Winograd.points
  withExtendedLifetime(u) {
    parallelFor(chunks: plan.ranges.count, threads: ComputeContext.current.threads) { worker in
      let range = plan.ranges[worker]
      let group = Winograd.groupSize(geo, images: range.count)
      // Tiles rounded up to the combine kernel's 16 lanes: the products go through it
      // instead of SGEMM, which packs its operands. The extra columns are zeros in V and
      // never read from M.
      let stride = (group * Winograd.tiles(geo) + 15) / 16 * 16
      let v = Scratch(points * geo.inChannels * stride)
      v.pointer.initialize(repeating: 0, count: v.count)
      let m = Scratch(points * geo.outChannels * stride)
      let scratch = Scratch(clens_winograd4_scratch(group, geo.height, geo.width))
      var image = range.lowerBound
      while image < range.upperBound {
        let count = min(group, range.upperBound - image)
        let tiles = (count * Winograd.tiles(geo) + 15) / 16 * 16
        Winograd.transformInput(x.base, geo, image: image, count: count, stride: stride, into: v.pointer, scratch: scratch)
        for xi in 0..<points {
          convolutionProduct(
            m: geo.outChannels, n: tiles, k: geo.inChannels, a: up.base + xi * geo.outChannels * geo.inChannels,
            lda: geo.inChannels, b: v.pointer + xi * geo.inChannels * stride, ldb: stride,
            c: m.pointer + xi * geo.outChannels * stride, ldc: stride, threads: plan.gemmThreads)
        }
        Winograd.transformOutput(m.pointer, geo, image: image, count: count, stride: stride, into: y.base, scratch: scratch)
        image += count
      }
    }
  }
}
