import Foundation
import SIMDKernels

/// The sizes of one 2-D convolution (NCHW input, OIHW weight, square stride/padding).
struct ConvGeometry: Sendable {
  let batch: Int
  let inChannels: Int
  let height: Int
  let width: Int
  let outChannels: Int
  let kernelHeight: Int
  let kernelWidth: Int
  let stride: Int
  let padding: Int
  let outHeight: Int
  let outWidth: Int

  init(input: [Int], weight: [Int], stride: Int, padding: Int) {
    precondition(input.count == 4 && weight.count == 4, "conv2d: needs NCHW input and OIHW weight, got \(input) and \(weight)")
    precondition(input[1] == weight[1], "conv2d: input has \(input[1]) channels, weight expects \(weight[1])")
    precondition(stride >= 1 && padding >= 0, "conv2d: stride must be ≥ 1 and padding ≥ 0")
    batch = input[0]
    inChannels = input[1]
    height = input[2]
    width = input[3]
    outChannels = weight[0]
    kernelHeight = weight[2]
    kernelWidth = weight[3]
    self.stride = stride
    self.padding = padding
    outHeight = (height + 2 * padding - kernelHeight) / stride + 1
    outWidth = (width + 2 * padding - kernelWidth) / stride + 1
    precondition(outHeight > 0 && outWidth > 0, "conv2d: kernel \(kernelHeight)x\(kernelWidth) larger than padded input \(height)x\(width)")
  }

  /// Rows of the im2col matrix (= columns of the flattened weight).
  var patchSize: Int { inChannels * kernelHeight * kernelWidth }
  var inputPlane: Int { height * width }
  var outputPlane: Int { outHeight * outWidth }
  /// A 1x1 stride-1 unpadded convolution reads its input directly as the im2col matrix.
  var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

  /// Images per product, so that small late-stage feature maps still give wide products:
  /// about 256 columns, raised where that makes the column count a multiple of 16 (the
  /// combine kernel's lanes) with at most 16 images, as for 7×7 maps (16 · 49 = 784).
  func groupSize(images: Int) -> Int {
    let wide = max(1, 256 / max(outputPlane, 1))
    let aligned = (wide...max(wide, 16)).first { $0 * outputPlane % 16 == 0 } ?? wide
    return max(1, min(images, aligned))
  }

  /// Stride 1 with "same" padding: each patch row is the input plane shifted by a
  /// constant offset, so it is copied in one piece and its borders are zeroed.
  var isShiftedCopy: Bool { stride == 1 && outHeight == height && outWidth == width }

  /// For a shifted-copy convolution and kernel offset (ky, kx): the input offset, the
  /// rows of the output with a valid input row, and the contiguous output range
  /// [start, end) whose source lies inside the plane.
  @inline(__always)
  private func shift(ky: Int, kx: Int) -> (offset: Int, dx: Int, rows: Range<Int>, span: Range<Int>) {
    let dy = ky - padding
    let dx = kx - padding
    let offset = dy * width + dx
    // Kernels taller than the map can leave no valid row at all.
    let firstRow = max(0, -dy)
    let rows = firstRow..<max(firstRow, min(height, height - dy))
    let start = max(rows.lowerBound * width, -offset)
    let end = max(start, min(rows.upperBound * width, inputPlane - offset))
    return (offset, dx, rows, start..<end)
  }

  /// Sets the columns of rows `rows` of a plane row that read outside the image (for a
  /// horizontal kernel offset dx) to zero.
  @inline(__always)
  private func zeroBorders(_ out: UnsafeMutablePointer<Float>, dx: Int, rows: Range<Int>) {
    if dx > 0 {
      for oy in rows { for ox in max(0, width - dx)..<width { out[oy * width + ox] = 0 } }
    } else if dx < 0 {
      for oy in rows { for ox in 0..<min(width, -dx) { out[oy * width + ox] = 0 } }
    }
  }

  /// Fills `col` [patchSize, count·outputPlane] with the patches of `count` images
  /// starting at `image` (zeros where the kernel covers padding): through `table` for
  /// small maps (`PatchTable(self)`), else by runs of rows.
  func im2col(
    _ x: UnsafePointer<Float>, image: Int, count: Int, into col: UnsafeMutablePointer<Float>, table: PatchTable?
  ) {
    if let table {
      table.im2col(x, image: image, count: count, into: col)
      return
    }
    let columns = count * outputPlane
    for c in 0..<inChannels {
      for ky in 0..<kernelHeight {
        for kx in 0..<kernelWidth {
          let row = col + ((c * kernelHeight + ky) * kernelWidth + kx) * columns
          if isShiftedCopy {
            let (offset, dx, rows, span) = shift(ky: ky, kx: kx)
            for g in 0..<count {
              let plane = x + ((image + g) * inChannels + c) * inputPlane
              let out = row + g * outputPlane
              // Inline loops: the late layers' planes are a few dozen floats, where a
              // memcpy or memset call costs more than the copy. On maps one row high the
              // valid span can start past the plane: clamp it.
              let start = min(span.lowerBound, outputPlane)
              let end = min(span.upperBound, outputPlane)
              for j in 0..<start { out[j] = 0 }
              let source = plane + offset
              for j in start..<end { out[j] = source[j] }
              for j in end..<outputPlane { out[j] = 0 }
              zeroBorders(out, dx: dx, rows: rows)
            }
            continue
          }
          // Output columns whose input x-coordinate ox·s − p + kx lies inside the image.
          let first = max(0, (padding - kx + stride - 1) / stride)
          let last = min(outWidth, (width + padding - kx + stride - 1) / stride)
          for g in 0..<count {
            let plane = x + ((image + g) * inChannels + c) * inputPlane
            for oy in 0..<outHeight {
              let out = row + g * outputPlane + oy * outWidth
              let iy = oy * stride - padding + ky
              if iy < 0 || iy >= height || first >= last {
                memset(out, 0, outWidth &* 4)
                continue
              }
              let source = plane + (iy &* width &- padding &+ kx)
              for ox in 0..<first { out[ox] = 0 }
              for ox in first..<last { out[ox] = source[ox &* stride] }
              for ox in last..<outWidth { out[ox] = 0 }
            }
          }
        }
      }
    }
  }

  /// Adds the patch gradients `col` back into `dx` for `count` images from `image`.
  /// `col` is scratch: entries that map to padding may be overwritten.
  func col2im(
    _ col: UnsafeMutablePointer<Float>, image: Int, count: Int, into dx: UnsafeMutablePointer<Float>, table: PatchTable?
  ) {
    if let table {
      table.col2im(col, image: image, count: count, into: dx)
      return
    }
    let columns = count * outputPlane
    for c in 0..<inChannels {
      for ky in 0..<kernelHeight {
        for kx in 0..<kernelWidth {
          let row = col + ((c * kernelHeight + ky) * kernelWidth + kx) * columns
          if isShiftedCopy {
            let (offset, horizontal, rows, span) = shift(ky: ky, kx: kx)
            for g in 0..<count {
              let source = row + g * outputPlane
              zeroBorders(source, dx: horizontal, rows: rows)
              let target = dx + ((image + g) * inChannels + c) * inputPlane + offset
              for j in span { target[j] += source[j] }
            }
            continue
          }
          let first = max(0, (padding - kx + stride - 1) / stride)
          let last = min(outWidth, (width + padding - kx + stride - 1) / stride)
          if first >= last { continue }
          for g in 0..<count {
            let plane = dx + ((image + g) * inChannels + c) * inputPlane
            for oy in 0..<outHeight {
              let iy = oy * stride - padding + ky
              if iy < 0 || iy >= height { continue }
              let source = row + g * outputPlane + oy * outWidth
              let target = plane + iy * width - padding + kx
              for ox in first..<last { target[ox * stride] += source[ox] }
            }
          }
        }
      }
    }
  }

  /// Copies [outChannels, count·outputPlane] (GEMM layout) into NCHW images from `image`.
  func scatter(_ grouped: UnsafePointer<Float>, image: Int, count: Int, into y: UnsafeMutablePointer<Float>) {
    let columns = count * outputPlane
    for g in 0..<count {
      for c in 0..<outChannels {
        (y + ((image + g) * outChannels + c) * outputPlane).update(from: grouped + c * columns + g * outputPlane, count: outputPlane)
      }
    }
  }

  /// Copies NCHW images from `image` into the GEMM layout [outChannels, count·outputPlane].
  func gather(_ y: UnsafePointer<Float>, image: Int, count: Int, into grouped: UnsafeMutablePointer<Float>) {
    let columns = count * outputPlane
    for g in 0..<count {
      for c in 0..<outChannels {
        (grouped + c * columns + g * outputPlane).update(from: y + ((image + g) * outChannels + c) * outputPlane, count: outputPlane)
      }
    }
  }
}

/// Scratch memory owned by one worker for the duration of one convolution call.
final class Scratch {
  let pointer: UnsafeMutablePointer<Float>
  let count: Int
  init(_ count: Int) {
    self.count = max(count, 1)
    pointer = BufferPool.shared.take(self.count * 4).bindMemory(to: Float.self, capacity: self.count)
  }
  deinit { BufferPool.shared.give(UnsafeMutableRawPointer(pointer), count * 4) }
}

/// How a convolution's batch is split: image ranges with single-threaded GEMMs when there
/// are enough images, else one range with multi-threaded GEMMs. There are a few ranges
/// per thread, taken dynamically, so a core slowed by other work does not hold up the
/// other; the ranges depend only on the batch and thread count.
struct ConvPlan {
  let ranges: [Range<Int>]
  let gemmThreads: ThreadCount

  init(batch: Int) {
    let threads = ComputeContext.current.threads
    if batch >= threads.value {
      let parts = max(threads.value, min(batch / 8, threads.value * ConvPlan.rangesPerThread))
      ranges = evenRanges(batch, parts: threads.value == 1 ? 1 : parts)
      gemmThreads = .one
    } else {
      ranges = [0..<batch]
      gemmThreads = threads
    }
  }

  static let rangesPerThread = 4
}

extension Tensor {
  /// 2-D convolution without bias (PyTorch's `F.conv2d(x, weight, stride=, padding=)`):
  /// NCHW input, [out, in, kh, kw] weight, zero padding on all four sides.
  ///
  /// Computed by Winograd's F(4×4, 3×3) for 3×3 stride-1 padding-1 layers with at least
  /// 16 input channels on maps of 4×4 or more (`Winograd.applies`; all three passes),
  /// from zero-padded images for other layers on wide maps (`PaddedConvolution.applies`),
  /// else as im2col and a product, with the batch split over the context's threads; late
  /// layers with small feature maps put several images into one product.
  public func conv2d(_ weight: Tensor, stride: Int = 1, padding: Int = 0) -> Tensor {
    let geometry = ConvGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding)
    let out = TensorStorage(uninitializedCount: geometry.batch * geometry.outChannels * geometry.outputPlane)
    convolutionForward(geometry, x: ConstPointer(self), w: ConstPointer(weight), y: SendablePointer(out))
    let x = self
    return Tensor.result(out, shape: [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth], inputs: [x, weight]) { g in
      let (dx, dw) = convolutionBackward(geometry, x: x, w: weight, dy: g, needInput: x.requiresGradient, needWeight: weight.requiresGradient)
      return [dx, dw]
    }
  }
}

private func convolutionForward(_ geo: ConvGeometry, x: ConstPointer, w: ConstPointer, y: SendablePointer<Float>) {
  let plan = ConvPlan(batch: geo.batch)
  if Winograd.applies(to: geo) {
    winogradForward(geo, x: x, w: w, y: y, plan: plan)
    return
  }
  if PaddedConvolution.applies(to: geo, plan: plan) {
    let padded = PaddedConvolution(geo)
    parallelFor(chunks: plan.ranges.count, threads: ComputeContext.current.threads) { worker in
      padded.forward(x: x.base, w: w.base, y: y.base, range: plan.ranges[worker])
    }
    return
  }
  let k = geo.patchSize
  let plane = geo.outputPlane
  let table = PatchTable(geo)
  parallelFor(chunks: plan.ranges.count, threads: ComputeContext.current.threads) { worker in
    let range = plan.ranges[worker]
    let group = geo.groupSize(images: range.count)
    let col = geo.isPointwise && group == 1 ? nil : Scratch(k * group * plane)
    let grouped = group > 1 ? Scratch(geo.outChannels * group * plane) : nil
    var image = range.lowerBound
    while image < range.upperBound {
      let count = min(group, range.upperBound - image)
      let columns = count * plane
      let source: UnsafePointer<Float>
      if let col {
        geo.im2col(x.base, image: image, count: count, into: col.pointer, table: table)
        source = UnsafePointer(col.pointer)
      } else {
        source = x.base + image * geo.inChannels * geo.inputPlane
      }
      let target = grouped?.pointer ?? (y.base + image * geo.outChannels * plane)
      convolutionProduct(
        m: geo.outChannels, n: columns, k: k, a: w.base, lda: k, b: source, ldb: columns, c: target, ldc: columns,
        threads: plan.gemmThreads)
      if let grouped { geo.scatter(grouped.pointer, image: image, count: count, into: y.base) }
      image += count
    }
  }
}

/// c = a·b for row-major [m, k] × [k, n] (leading dimensions lda, ldb, ldc): by the
/// combine kernel, which reads b's rows in place instead of packing them as SGEMM does (a
/// cost as large as the product at these sizes), where n is a multiple of its 16 lanes and
/// one thread computes the product; else by SGEMM.
func convolutionProduct(
  m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  c: UnsafeMutablePointer<Float>, ldc: Int, threads: ThreadCount
) {
  if n % 16 == 0 && threads == .one {
    let rows = (0..<k).map { UnsafePointer<Float>?(b + $0 * ldb) }
    clens_combine_rows(a, lda, m, rows, k, n, c, ldc)
  } else {
    gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, threads: threads)
  }
}

/// W'[i, o, y, x] = W[o, i, kh − 1 − y, kw − 1 − x]: the kernel of the transposed
/// convolution that maps output gradients back to input gradients.
private func flippedTransposedKernel(_ w: Tensor) -> Tensor {
  let (o, i, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
  let out = TensorStorage(uninitializedCount: w.count)
  let src = w.storage.pointer
  for a in 0..<o {
    for b in 0..<i {
      for y in 0..<kh {
        for x in 0..<kw {
          out.pointer[((b * o + a) * kh + y) * kw + x] = src[((a * i + b) * kh + (kh - 1 - y)) * kw + (kw - 1 - x)]
        }
      }
    }
  }
  return Tensor(shape: [i, o, kh, kw], storage: out)
}

private func convolutionBackward(
  _ geo: ConvGeometry, x: Tensor, w: Tensor, dy: Tensor, needInput: Bool, needWeight: Bool
) -> (Tensor?, Tensor?) {
  // Stride-1 "same" convolutions: the input gradient is itself a convolution of dy
  // with the flipped, transposed kernel, which avoids col2im's scatter-add.
  if needInput && geo.isShiftedCopy && geo.kernelHeight == geo.kernelWidth && !geo.isPointwise {
    let dx = dy.conv2d(flippedTransposedKernel(w), stride: 1, padding: geo.padding)
    let (_, dw) = convolutionBackward(geo, x: x, w: w, dy: dy, needInput: false, needWeight: needWeight)
    return (dx, dw)
  }
  if needWeight && Winograd.applies(to: geo) {
    return (nil, Tensor(shape: w.shape, storage: winogradWeightGradient(geo, x: ConstPointer(x), dy: ConstPointer(dy))))
  }
  let plan = ConvPlan(batch: geo.batch)
  if needWeight && PaddedConvolution.applies(to: geo, plan: plan) {
    let (dx, _) = needInput ? convolutionBackward(geo, x: x, w: w, dy: dy, needInput: true, needWeight: false) : (nil, nil)
    return (dx, paddedWeightGradient(geo, x: x, w: w, dy: dy, plan: plan))
  }
  let k = geo.patchSize
  let plane = geo.outputPlane
  // Each range zeroes its own images of dx before col2im adds into them.
  let dxStorage = needInput ? TensorStorage(uninitializedCount: x.count) : nil
  let partials = needWeight ? (0..<plan.ranges.count).map { _ in TensorStorage(count: geo.outChannels * k, repeating: 0) } : []
  let xp = ConstPointer(x)
  let wp = ConstPointer(w)
  let dyp = ConstPointer(dy)
  let dxp = dxStorage.map { SendablePointer($0) }
  let partialPointers = partials.map { SendablePointer($0) }
  let table = PatchTable(geo)
  parallelFor(chunks: plan.ranges.count, threads: ComputeContext.current.threads) { worker in
    let range = plan.ranges[worker]
    let group = geo.groupSize(images: range.count)
    let direct = geo.isPointwise && group == 1
    let col = direct ? nil : Scratch(k * group * plane)
    if let dxp, col != nil {
      let perImage = geo.inChannels * geo.inputPlane
      (dxp.base + range.lowerBound * perImage).initialize(repeating: 0, count: range.count * perImage)
    }
    let grouped = group > 1 ? Scratch(geo.outChannels * group * plane) : nil
    var image = range.lowerBound
    while image < range.upperBound {
      let count = min(group, range.upperBound - image)
      let columns = count * plane
      let gradient: UnsafePointer<Float>
      if let grouped {
        geo.gather(dyp.base, image: image, count: count, into: grouped.pointer)
        gradient = UnsafePointer(grouped.pointer)
      } else {
        gradient = dyp.base + image * geo.outChannels * plane
      }
      if needWeight {
        let patches: UnsafePointer<Float>
        if let col {
          geo.im2col(xp.base, image: image, count: count, into: col.pointer, table: table)
          patches = UnsafePointer(col.pointer)
        } else {
          patches = xp.base + image * geo.inChannels * geo.inputPlane
        }
        gemm(transposeB: true, m: geo.outChannels, n: k, k: columns, a: gradient, lda: columns,
          b: patches, ldb: columns, beta: 1, c: partialPointers[worker].base, ldc: k, threads: plan.gemmThreads)
      }
      if let dxp {
        if let col {
          gemm(transposeA: true, m: k, n: columns, k: geo.outChannels, a: wp.base, lda: k,
            b: gradient, ldb: columns, c: col.pointer, ldc: columns, threads: plan.gemmThreads)
          geo.col2im(col.pointer, image: image, count: count, into: dxp.base, table: table)
        } else {
          gemm(transposeA: true, m: k, n: columns, k: geo.outChannels, a: wp.base, lda: k,
            b: gradient, ldb: columns, c: dxp.base + image * geo.inChannels * geo.inputPlane, ldc: columns,
            threads: plan.gemmThreads)
        }
      }
      image += count
    }
  }
  let dw = needWeight ? Tensor(shape: w.shape, storage: summed(partials)) : nil
  return (dxStorage.map { Tensor(shape: x.shape, storage: $0) }, dw)
}

/// The weight gradient of a `PaddedConvolution` layer: one partial sum per image range.
private func paddedWeightGradient(_ geo: ConvGeometry, x: Tensor, w: Tensor, dy: Tensor, plan: ConvPlan) -> Tensor {
  let padded = PaddedConvolution(geo)
  let partials = plan.ranges.map { _ in TensorStorage(count: w.count, repeating: 0) }
  let partialPointers = partials.map { SendablePointer($0) }
  let xp = ConstPointer(x)
  let dyp = ConstPointer(dy)
  parallelFor(chunks: plan.ranges.count, threads: ComputeContext.current.threads) { worker in
    padded.accumulateWeightGradient(x: xp.base, dy: dyp.base, dw: partialPointers[worker].base, range: plan.ranges[worker])
  }
  return Tensor(shape: w.shape, storage: summed(partials))
}

/// The ranges' partial sums added into the first, in range order.
func summed(_ partials: [TensorStorage]) -> TensorStorage {
  let total = SendablePointer(partials[0])
  let others = partials.dropFirst().map { ConstPointer($0.pointer) }
  forEachRange(partials[0].count, minimumPerThread: 16_384) { range in
    for partial in others {
      for i in range { total.base[i] += partial.base[i] }
    }
  }
  return partials[0]
}
