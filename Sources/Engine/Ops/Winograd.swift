import Foundation
import SIMDKernels

/// Winograd's minimal filtering F(2×2, 3×3) for 3×3, stride-1, padding-1 convolutions,
/// the bulk of every ResNet (Lavin & Gray, 2016).
///
/// Each 4×4 input tile d becomes V = Bᵀ d B, each 3×3 kernel g becomes U = G g Gᵀ, and the
/// 2×2 output tile is Aᵀ (U ⊙ V) A. Summed over input channels, the elementwise products
/// are 16 independent matrix products [out, in] × [in, tiles], so the work still goes
/// through SGEMM, with 16 multiplications per 2×2 outputs instead of 36 (2.25x fewer
/// flops). The transforms use only ±1 and ½, so results stay within float rounding of
/// im2col's.
enum Winograd {
  /// Whether `geometry` is a convolution this method computes, and one where it pays
  /// (measured on ResNet-18/20 training and PGD): with fewer than 64 input channels or
  /// maps smaller than 8×8 the transforms cost more than the multiplications saved.
  static func applies(to geometry: ConvGeometry) -> Bool {
    geometry.kernelHeight == 3 && geometry.kernelWidth == 3 && geometry.stride == 1 && geometry.padding == 1
      && geometry.inChannels >= 64 && geometry.height >= 8 && geometry.width >= 8
  }

  /// G·(a, b, c) = (a, (a + b + c)/2, (a − b + c)/2, c).
  @inline(__always)
  static func spread(_ a: Float, _ b: Float, _ c: Float) -> SIMD4<Float> {
    SIMD4(a, (a + b + c) * 0.5, (a - b + c) * 0.5, c)
  }

  /// U = G g Gᵀ for every (out, in) kernel, stored as [16][out][in].
  static func transformedKernel(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int) -> TensorStorage {
    let pairs = outChannels * inChannels
    let u = TensorStorage(uninitializedCount: 16 * pairs)
    let weights = ConstPointer(w)
    let target = SendablePointer(u)
    forEachRange(pairs, minimumPerThread: 2048) { range in
      for pair in range {
        let g = weights.base + pair * 9
        // G g, column by column (four rows each), then G on each of its rows.
        let t0 = spread(g[0], g[3], g[6]), t1 = spread(g[1], g[4], g[7]), t2 = spread(g[2], g[5], g[8])
        for i in 0..<4 {
          let row = spread(t0[i], t1[i], t2[i])
          for j in 0..<4 { target.base[(4 * i + j) * pairs + pair] = row[j] }
        }
      }
    }
    return u
  }

  /// Output tiles per image (rows, columns): ⌈H/2⌉ × ⌈W/2⌉.
  static func tiles(_ geo: ConvGeometry) -> (rows: Int, columns: Int) {
    ((geo.height + 1) / 2, (geo.width + 1) / 2)
  }

  /// V = Bᵀ d B for the tiles of `count` images from `image`, into [16][in][stride]
  /// (`stride` ≥ the group's tiles): one plane at a time by the vectorised C kernel.
  static func transformInput(
    _ x: UnsafePointer<Float>, _ geo: ConvGeometry, image: Int, count: Int, stride: Int,
    into v: UnsafeMutablePointer<Float>
  ) {
    let (tileRows, tileColumns) = tiles(geo)
    let scratch = Scratch(clens_winograd_scratch(geo.width))
    for c in 0..<geo.inChannels {
      for g in 0..<count {
        let plane = x + ((image + g) * geo.inChannels + c) * geo.inputPlane
        clens_winograd_input_plane(plane, geo.height, geo.width, v + c * stride + g * tileRows * tileColumns,
          geo.inChannels * stride, scratch.pointer)
      }
    }
  }

  /// y = Aᵀ m A for every tile of [16][out][stride], written into NCHW images from `image`
  /// (the last row or column of a tile is dropped where the image size is odd).
  static func transformOutput(
    _ m: UnsafePointer<Float>, _ geo: ConvGeometry, image: Int, count: Int, stride: Int,
    into y: UnsafeMutablePointer<Float>
  ) {
    let (tileRows, tileColumns) = tiles(geo)
    let scratch = Scratch(clens_winograd_scratch(geo.width))
    for o in 0..<geo.outChannels {
      for g in 0..<count {
        let plane = y + ((image + g) * geo.outChannels + o) * geo.outputPlane
        clens_winograd_output_plane(m + o * stride + g * tileRows * tileColumns, geo.outChannels * stride, geo.height,
          geo.width, plane, scratch.pointer)
      }
    }
  }

  /// Images per batch of tiles for one worker: enough tiles for wide products, few
  /// enough that the transformed input and output (16 floats per tile and channel) stay
  /// in a core's L2 (1 MiB) between the transforms and the products.
  static func groupSize(_ geo: ConvGeometry, images: Int) -> Int {
    let (tileRows, tileColumns) = tiles(geo)
    let maxTiles = max(64, 16_384 / (geo.inChannels + geo.outChannels))
    return max(1, min(images, maxTiles / (tileRows * tileColumns)))
  }
}

/// The forward pass by F(2×2, 3×3): the batch split over workers as in the im2col path,
/// each worker transforming a group of images, running 16 SGEMMs and transforming back.
func winogradForward(_ geo: ConvGeometry, x: ConstPointer, w: ConstPointer, y: SendablePointer<Float>, plan: ConvPlan) {
  let u = Winograd.transformedKernel(w.base, outChannels: geo.outChannels, inChannels: geo.inChannels)
  let up = ConstPointer(u.pointer)
  let (tileRows, tileColumns) = Winograd.tiles(geo)
  withExtendedLifetime(u) {
    parallelFor(chunks: plan.ranges.count, threads: ComputeContext.current.threads) { worker in
      let range = plan.ranges[worker]
      let group = Winograd.groupSize(geo, images: range.count)
      // Tiles rounded up to the combine kernel's 16 lanes: the products go through it
      // instead of SGEMM, which packs its operands. The extra columns are zeros in V and
      // never read from M.
      let stride = (group * tileRows * tileColumns + 15) / 16 * 16
      let v = Scratch(16 * geo.inChannels * stride)
      v.pointer.initialize(repeating: 0, count: v.count)
      let m = Scratch(16 * geo.outChannels * stride)
      var image = range.lowerBound
      while image < range.upperBound {
        let count = min(group, range.upperBound - image)
        let tiles = (count * tileRows * tileColumns + 15) / 16 * 16
        Winograd.transformInput(x.base, geo, image: image, count: count, stride: stride, into: v.pointer)
        for xi in 0..<16 {
          convolutionProduct(
            m: geo.outChannels, n: tiles, k: geo.inChannels, a: up.base + xi * geo.outChannels * geo.inChannels,
            lda: geo.inChannels, b: v.pointer + xi * geo.inChannels * stride, ldb: stride,
            c: m.pointer + xi * geo.outChannels * stride, ldc: stride, threads: plan.gemmThreads)
        }
        Winograd.transformOutput(m.pointer, geo, image: image, count: count, stride: stride, into: y.base)
        image += count
      }
    }
  }
}
