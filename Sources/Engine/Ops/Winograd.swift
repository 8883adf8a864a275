import Foundation

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

  /// V = Bᵀ d B for the tiles of `count` images from `image`, into [16][in][tiles].
  ///
  /// Works a row of tiles at a time, vectorised across the tiles: the four input rows are
  /// combined vertically (Bᵀ), split into even and odd columns of the padded row, and
  /// combined horizontally (B), so every read and write runs along contiguous memory.
  static func transformInput(
    _ x: UnsafePointer<Float>, _ geo: ConvGeometry, image: Int, count: Int, into v: UnsafeMutablePointer<Float>
  ) {
    let (tileRows, tileColumns) = tiles(geo)
    let total = count * tileRows * tileColumns
    let stride16 = geo.inChannels * total
    let paddedWidth = 2 * tileColumns + 2
    let half = tileColumns + 1
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * paddedWidth + 8 * half)
    defer { scratch.deallocate() }
    let rows = scratch  // four zero-padded input rows; column j holds input column j − 1
    let even = scratch + 4 * paddedWidth  // four combined rows, even padded columns
    let odd = even + 4 * half  // and odd ones
    rows.initialize(repeating: 0, count: 4 * paddedWidth)
    for c in 0..<geo.inChannels {
      for g in 0..<count {
        let plane = x + ((image + g) * geo.inChannels + c) * geo.inputPlane
        for ty in 0..<tileRows {
          for i in 0..<4 {
            let y = 2 * ty - 1 + i
            let row = rows + i * paddedWidth + 1
            if y >= 0 && y < geo.height {
              row.update(from: plane + y * geo.width, count: geo.width)
            } else {
              row.update(repeating: 0, count: geo.width)
            }
          }
          // Bᵀ on rows: d0 − d2, d1 + d2, d2 − d1, d1 − d3.
          let (d0, d1, d2, d3) = (rows, rows + paddedWidth, rows + 2 * paddedWidth, rows + 3 * paddedWidth)
          for k in 0..<half {
            let e = 2 * k, o = 2 * k + 1
            even[k] = d0[e] - d2[e]
            even[half + k] = d1[e] + d2[e]
            even[2 * half + k] = d2[e] - d1[e]
            even[3 * half + k] = d1[e] - d3[e]
            odd[k] = d0[o] - d2[o]
            odd[half + k] = d1[o] + d2[o]
            odd[2 * half + k] = d2[o] - d1[o]
            odd[3 * half + k] = d1[o] - d3[o]
          }
          // B on columns: tile tx reads padded columns 2tx … 2tx + 3 = e[tx], o[tx], e[tx+1], o[tx+1].
          let first = (g * tileRows + ty) * tileColumns
          for i in 0..<4 {
            let e = even + i * half, o = odd + i * half
            let out = v + (4 * i) * stride16 + c * total + first
            let (v0, v1, v2, v3) = (out, out + stride16, out + 2 * stride16, out + 3 * stride16)
            for tx in 0..<tileColumns {
              v0[tx] = e[tx] - e[tx + 1]
              v1[tx] = o[tx] + e[tx + 1]
              v2[tx] = e[tx + 1] - o[tx]
              v3[tx] = o[tx] - o[tx + 1]
            }
          }
        }
      }
    }
  }

  /// y = Aᵀ m A for every tile of [16][out][tiles], written into NCHW images from `image`
  /// (the last row or column of a tile is dropped where the image size is odd);
  /// vectorised across a row of tiles like `transformInput`.
  static func transformOutput(
    _ m: UnsafePointer<Float>, _ geo: ConvGeometry, image: Int, count: Int, into y: UnsafeMutablePointer<Float>
  ) {
    let (tileRows, tileColumns) = tiles(geo)
    let total = count * tileRows * tileColumns
    let stride16 = geo.outChannels * total
    let line = UnsafeMutablePointer<Float>.allocate(capacity: 2 * (2 * tileColumns))
    defer { line.deallocate() }
    for o in 0..<geo.outChannels {
      for g in 0..<count {
        let plane = y + ((image + g) * geo.outChannels + o) * geo.outputPlane
        for ty in 0..<tileRows {
          let first = (g * tileRows + ty) * tileColumns
          let base = m + o * total + first
          func element(_ i: Int, _ j: Int) -> UnsafePointer<Float> { base + (4 * i + j) * stride16 }
          let (m00, m01, m02, m03) = (element(0, 0), element(0, 1), element(0, 2), element(0, 3))
          let (m10, m11, m12, m13) = (element(1, 0), element(1, 1), element(1, 2), element(1, 3))
          let (m20, m21, m22, m23) = (element(2, 0), element(2, 1), element(2, 2), element(2, 3))
          let (m30, m31, m32, m33) = (element(3, 0), element(3, 1), element(3, 2), element(3, 3))
          let top = line, bottom = line + 2 * tileColumns
          for tx in 0..<tileColumns {
            // Aᵀ on rows: m0 + m1 + m2 and m1 − m2 − m3; then the same on columns.
            let s0 = m00[tx] + m10[tx] + m20[tx], s1 = m01[tx] + m11[tx] + m21[tx]
            let s2 = m02[tx] + m12[tx] + m22[tx], s3 = m03[tx] + m13[tx] + m23[tx]
            let t0 = m10[tx] - m20[tx] - m30[tx], t1 = m11[tx] - m21[tx] - m31[tx]
            let t2 = m12[tx] - m22[tx] - m32[tx], t3 = m13[tx] - m23[tx] - m33[tx]
            top[2 * tx] = s0 + s1 + s2
            top[2 * tx + 1] = s1 - s2 - s3
            bottom[2 * tx] = t0 + t1 + t2
            bottom[2 * tx + 1] = t1 - t2 - t3
          }
          let y0 = 2 * ty
          (plane + y0 * geo.width).update(from: top, count: geo.width)
          if y0 + 1 < geo.height { (plane + (y0 + 1) * geo.width).update(from: bottom, count: geo.width) }
        }
      }
    }
  }

  /// Images per batch of tiles for one worker: enough tiles for wide products, few
  /// enough that the transformed input and output (16 floats per tile and channel) stay
  /// within a few MiB.
  static func groupSize(_ geo: ConvGeometry, images: Int) -> Int {
    let (tileRows, tileColumns) = tiles(geo)
    let maxTiles = max(64, 65_536 / (geo.inChannels + geo.outChannels))
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
      let maxTiles = group * tileRows * tileColumns
      let v = Scratch(16 * geo.inChannels * maxTiles)
      let m = Scratch(16 * geo.outChannels * maxTiles)
      var image = range.lowerBound
      while image < range.upperBound {
        let count = min(group, range.upperBound - image)
        let tiles = count * tileRows * tileColumns
        Winograd.transformInput(x.base, geo, image: image, count: count, into: v.pointer)
        for xi in 0..<16 {
          gemm(
            m: geo.outChannels, n: tiles, k: geo.inChannels, a: up.base + xi * geo.outChannels * geo.inChannels,
            lda: geo.inChannels, b: v.pointer + xi * geo.inChannels * tiles, ldb: tiles,
            c: m.pointer + xi * geo.outChannels * tiles, ldc: tiles, threads: plan.gemmThreads)
        }
        Winograd.transformOutput(m.pointer, geo, image: image, count: count, into: y.base)
        image += count
      }
    }
  }
}
