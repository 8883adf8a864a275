import Foundation
import SIMDKernels

/// Convolutions computed from a zero-padded copy of each image instead of an im2col
/// matrix, for the narrow early layers where im2col and GEMM packing cost as much as the
/// multiplications.
///
/// With stride 1 and the image padded to Hp × Wp, output (oy, ox) at grid position
/// q = oy·Wp + ox sees input (c, ky, kx) at padded position q + ky·Wp + kx of plane c. So
/// every row of the virtual im2col matrix is the padded plane read from a fixed offset,
/// and the kernels take those rows as pointers: the forward pass combines them with the
/// weights over the grid (columns ox ≥ Wo are computed and dropped), and the weight
/// gradient sums each row times the output gradient laid on the same grid, with zeros in
/// those columns. With stride s the padded plane is stored as s × s phase planes (padded
/// rows ≡ a, columns ≡ b mod s) of ⌈Hp/s⌉ × ⌈Wp/s⌉: padded (s·oy + ky, s·ox + kx) is
/// (oy + ky/s, ox + kx/s) of phase (ky mod s, kx mod s), so rows are again fixed offsets.
struct PaddedConvolution {
  let geometry: ConvGeometry
  /// Width of a phase plane (Wp for stride 1): the grid's row stride.
  let gridWidth: Int
  /// Floats of one phase plane and of one channel's s × s phase planes.
  let phaseSize: Int
  let channelSize: Int
  /// Grid positions per output map (Ho · gridWidth), rounded up to the kernels' 16 lanes.
  let gridLength: Int
  /// Floats of the padded-image buffer: every row read stays inside it.
  let paddedCount: Int

  /// Whether `geometry` runs here: a kernel larger than 1×1 with at least 64 patch
  /// entries, and maps wide enough that the grid's extra positions (dropped columns,
  /// rounding to 16) stay under a quarter of the outputs. Measured per layer with
  /// `clens-bench conv`: 28×28 and 14×14 maps gain, 8×8 and 7×7 ones lose. Layers that
  /// `Winograd.applies` to are checked for Winograd first, so in ResNets this path runs
  /// the stem, the strided layers and layers under 16 channels.
  static func applies(to geometry: ConvGeometry) -> Bool {
    guard geometry.kernelHeight * geometry.kernelWidth > 1, geometry.patchSize >= 64 else { return false }
    return 4 * PaddedConvolution(geometry).gridLength < 5 * geometry.outputPlane
  }

  /// Whether a convolution split by `plan` runs here: the kernels are single-threaded, so
  /// a batch smaller than the thread count (one range, multi-threaded GEMMs) stays on the
  /// GEMM path, where all threads work.
  static func applies(to geometry: ConvGeometry, plan: ConvPlan) -> Bool {
    applies(to: geometry) && (plan.ranges.count > 1 || plan.gemmThreads == .one)
  }

  init(_ geometry: ConvGeometry) {
    self.geometry = geometry
    let s = geometry.stride
    let phaseHeight = (geometry.height + 2 * geometry.padding + s - 1) / s
    gridWidth = (geometry.width + 2 * geometry.padding + s - 1) / s
    phaseSize = phaseHeight * gridWidth
    channelSize = s * s * phaseSize
    gridLength = (geometry.outHeight * gridWidth + 15) / 16 * 16
    paddedCount = geometry.inChannels * channelSize + gridLength + geometry.kernelWidth
  }

  /// Pointers to the rows (c, ky, kx) of the virtual im2col matrix, in weight order.
  func rows(in padded: UnsafePointer<Float>) -> [UnsafePointer<Float>?] {
    let s = geometry.stride
    var rows = [UnsafePointer<Float>?]()
    rows.reserveCapacity(geometry.patchSize)
    for c in 0..<geometry.inChannels {
      for ky in 0..<geometry.kernelHeight {
        for kx in 0..<geometry.kernelWidth {
          let phase = (ky % s) * s + kx % s
          rows.append(padded + c * channelSize + phase * phaseSize + (ky / s) * gridWidth + kx / s)
        }
      }
    }
    return rows
  }

  /// A zeroed padded-image buffer; `pad` writes only image positions, so borders stay zero.
  func paddedBuffer() -> Scratch {
    let buffer = Scratch(paddedCount)
    buffer.pointer.initialize(repeating: 0, count: paddedCount)
    return buffer
  }

  /// Copies a short row in an inlined loop (a memmove call costs more than the copy here).
  @inline(__always)
  private func copyRow(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { target[i] = source[i] }
  }

  /// Copies image `image` of NCHW `x` into the image positions of `padded`.
  func pad(_ x: UnsafePointer<Float>, image: Int, into padded: UnsafeMutablePointer<Float>) {
    let g = geometry
    let s = g.stride
    for c in 0..<g.inChannels {
      let plane = x + (image * g.inChannels + c) * g.inputPlane
      let channel = padded + c * channelSize
      for iy in 0..<g.height {
        let py = iy + g.padding
        let source = plane + iy * g.width
        if s == 1 {
          copyRow(from: source, to: channel + py * gridWidth + g.padding, count: g.width)
          continue
        }
        // Deal the row's columns out to the s phase planes of its row phase: padded
        // column px goes to phase px mod s at px / s.
        let phaseRow = channel + (py % s) * s * phaseSize + (py / s) * gridWidth
        for b in 0..<s {
          let first = g.padding + (b - g.padding % s + s) % s
          let target = phaseRow + b * phaseSize + first / s
          var ix = first - g.padding
          var j = 0
          while ix < g.width {
            target[j] = source[ix]
            ix += s
            j += 1
          }
        }
      }
    }
  }

  /// y for the images of `range`: each image padded, combined into a grid and cropped.
  func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, range: Range<Int>) {
    let g = geometry
    let padded = paddedBuffer()
    let grid = Scratch(g.outChannels * gridLength)
    let rows = rows(in: padded.pointer)
    rows.withUnsafeBufferPointer { rowPointers in
      for image in range {
        pad(x, image: image, into: padded.pointer)
        clens_combine_rows(w, g.patchSize, g.outChannels, rowPointers.baseAddress, g.patchSize, gridLength,
          grid.pointer, gridLength)
        for o in 0..<g.outChannels {
          let map = y + (image * g.outChannels + o) * g.outputPlane
          for oy in 0..<g.outHeight {
            copyRow(from: grid.pointer + o * gridLength + oy * gridWidth, to: map + oy * g.outWidth, count: g.outWidth)
          }
        }
      }
    }
  }

  /// Adds the weight gradient [out, in·kh·kw] of the images of `range` into `dw`.
  ///
  /// The output gradient goes onto the grid transposed, [position][channel], with zeros
  /// in the dropped columns and in the channels that pad the count to 16 lanes; the
  /// kernel accumulates [row][channel] sums in registers along the positions, and the
  /// total is transposed into `dw` once.
  func accumulateWeightGradient(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, range: Range<Int>) {
    let g = geometry
    let lanes = (g.outChannels + 15) / 16 * 16
    let padded = paddedBuffer()
    let grid = Scratch(gridLength * lanes)
    grid.pointer.initialize(repeating: 0, count: gridLength * lanes)
    let sums = Scratch(g.patchSize * lanes)
    sums.pointer.initialize(repeating: 0, count: g.patchSize * lanes)
    let rows = rows(in: padded.pointer)
    rows.withUnsafeBufferPointer { rowPointers in
      for image in range {
        pad(x, image: image, into: padded.pointer)
        for o in 0..<g.outChannels {
          let map = dy + (image * g.outChannels + o) * g.outputPlane
          for oy in 0..<g.outHeight {
            let target = grid.pointer + oy * gridWidth * lanes + o
            for ox in 0..<g.outWidth { target[ox * lanes] = map[oy * g.outWidth + ox] }
          }
        }
        clens_accumulate_rows_times(rowPointers.baseAddress, g.patchSize, gridLength, grid.pointer, lanes, lanes,
          sums.pointer, lanes)
      }
    }
    for o in 0..<g.outChannels {
      for k in 0..<g.patchSize { dw[o * g.patchSize + k] += sums.pointer[k * lanes + o] }
    }
  }
}
