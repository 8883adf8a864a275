import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Convolution of two charge grids (M×M nodes) with the t-SNE kernels by FFT on a
/// zero-padded grid of side L = 2M, as in FIt-SNE (Linderman et al. 2019).
///
/// Grid A holds two real charge channels as one complex grid (x-charge + i·y-charge) and
/// is convolved with the squared kernel K₂; grid B holds the unit charge and is
/// multiplied by K̂₂ + i·K̂₁, so its real part comes back convolved with K₂ and its
/// imaginary part with the plain kernel K₁ (both kernels are real and even, so their
/// transforms are real). Zero padding is never stored: the forward row transforms skip
/// the empty half, and only the M×M block of the result is computed back.
final class ConvolutionGrid {
  /// Nodes per side of the charge grid.
  let m: Int
  /// Side of the padded FFT grid, 2M.
  let l: Int
  private let fft: BatchedFFT
  /// K̂₂/L² and K̂₁/L², L×L each.
  private let kernelRe: UnsafeMutablePointer<Double>
  private let kernelIm: UnsafeMutablePointer<Double>
  /// Charge grids, M rows × L columns (the padding columns are work space).
  let aRe: UnsafeMutablePointer<Double>
  let aIm: UnsafeMutablePointer<Double>
  let bRe: UnsafeMutablePointer<Double>
  let bIm: UnsafeMutablePointer<Double>

  /// A grid of `m` nodes per side (2m must be a product of 2, 3 and 5) with node
  /// spacing `spacing`, for the kernels of `dof` degrees of freedom:
  /// K₁(d²) = (1 + d²/α)^(−α), K₂(d²) = (1 + d²/α)^(−α−1).
  init(nodes m: Int, spacing: Double, dof: Double, threads: ThreadCount) {
    self.m = m
    l = 2 * m
    fft = BatchedFFT(length: 2 * m)
    kernelRe = .allocate(capacity: l * l)
    kernelIm = .allocate(capacity: l * l)
    aRe = .allocate(capacity: m * l)
    aIm = .allocate(capacity: m * l)
    bRe = .allocate(capacity: m * l)
    bIm = .allocate(capacity: m * l)
    buildKernels(spacing: spacing, dof: dof, threads: threads)
  }

  deinit {
    for p in [kernelRe, kernelIm, aRe, aIm, bRe, bIm] { p.deallocate() }
  }

  /// Zeroes both charge grids.
  func clear() {
    for p in [aRe, aIm, bRe, bIm] { p.initialize(repeating: 0, count: m * l) }
  }

  private func buildKernels(spacing: Double, dof: Double, threads: ThreadCount) {
    let l = self.l
    let m = self.m
    let re = SendablePointer(kernelRe)
    let im = SendablePointer(kernelIm)
    parallelFor(chunks: l, threads: threads) { i in
      let di = i < m ? i : i - l
      for j in 0..<l {
        let dj = j < m ? j : j - l
        if i == m || j == m {
          re[i * l + j] = 0
          im[i * l + j] = 0
          continue
        }
        let d2 = Double(di * di + dj * dj) * spacing * spacing
        let base = 1 + d2 / dof
        let k1 = dof == 1 ? 1 / base : pow(base, -dof)
        re[i * l + j] = k1 / base
        im[i * l + j] = k1
      }
    }
    let groups = (l + BatchedFFT.lanes - 1) / BatchedFFT.lanes
    let fft = self.fft
    // Full 2-D transform of K₂ + i·K₁: along each row, then along each column.
    parallelFor(chunks: groups, threads: threads) { g in
      let s = Strip(length: l)
      defer { s.free() }
      s.gatherRows(
        re.base, im.base, stride: l, first: g * BatchedFFT.lanes,
        count: min(BatchedFFT.lanes, l - g * BatchedFFT.lanes), columns: l)
      fft.transform(re: s.re, im: s.im, scratchRe: s.tmpRe, scratchIm: s.tmpIm)
      s.scatterRows(
        re.base, im.base, stride: l, first: g * BatchedFFT.lanes,
        count: min(BatchedFFT.lanes, l - g * BatchedFFT.lanes), columns: l)
    }
    let scale = 1 / Double(l * l)
    parallelFor(chunks: groups, threads: threads) { g in
      let s = Strip(length: l)
      defer { s.free() }
      let c0 = g * BatchedFFT.lanes
      let width = min(BatchedFFT.lanes, l - c0)
      s.gatherColumns(re.base, im.base, stride: l, first: c0, count: width, rows: l)
      fft.transform(re: s.re, im: s.im, scratchRe: s.tmpRe, scratchIm: s.tmpIm)
      s.scale(scale)
      s.scatterColumns(re.base, im.base, stride: l, first: c0, count: width, rows: l)
    }
  }

  /// Replaces the M×M block of both grids by its convolutions (see the type's comment).
  /// The charges must sit in columns 0..<M of every row, with zeros in the rest.
  func convolve(threads: ThreadCount) {
    let l = self.l
    let m = self.m
    let fft = self.fft
    let lanes = BatchedFFT.lanes
    let grids = [
      (SendablePointer(aRe), SendablePointer(aIm)),
      (SendablePointer(bRe), SendablePointer(bIm)),
    ]
    let kr = SendablePointer(kernelRe)
    let ki = SendablePointer(kernelIm)
    let rowGroups = (m + lanes - 1) / lanes
    // Forward along every charge row (the input occupies columns 0..<M).
    parallelFor(chunks: 2 * rowGroups, threads: threads) { task in
      let (gr, gi) = grids[task % 2]
      let r0 = (task / 2) * lanes
      let count = min(lanes, m - r0)
      let s = Strip(length: l)
      defer { s.free() }
      s.gatherRows(gr.base, gi.base, stride: l, first: r0, count: count, columns: m)
      fft.transform(re: s.re, im: s.im, scratchRe: s.tmpRe, scratchIm: s.tmpIm)
      s.scatterRows(gr.base, gi.base, stride: l, first: r0, count: count, columns: l)
    }
    // Along every column: forward (rows M..<L are zero), multiply, inverse, keep rows 0..<M.
    let columnGroups = (l + lanes - 1) / lanes
    parallelFor(chunks: 2 * columnGroups, threads: threads) { task in
      let which = task % 2
      let (gr, gi) = grids[which]
      let c0 = (task / 2) * lanes
      let width = min(lanes, l - c0)
      let s = Strip(length: l)
      defer { s.free() }
      s.gatherColumns(gr.base, gi.base, stride: l, first: c0, count: width, rows: m)
      fft.transform(re: s.re, im: s.im, scratchRe: s.tmpRe, scratchIm: s.tmpIm)
      if which == 0 {
        s.multiplyReal(kr.base + c0, stride: l, count: width)
      } else {
        s.multiplyComplex(kr.base + c0, ki.base + c0, stride: l, count: width)
      }
      fft.transform(re: s.im, im: s.re, scratchRe: s.tmpIm, scratchIm: s.tmpRe)
      s.scatterColumns(gr.base, gi.base, stride: l, first: c0, count: width, rows: m)
    }
    // Inverse along every charge row; keep columns 0..<M.
    parallelFor(chunks: 2 * rowGroups, threads: threads) { task in
      let (gr, gi) = grids[task % 2]
      let r0 = (task / 2) * lanes
      let count = min(lanes, m - r0)
      let s = Strip(length: l)
      defer { s.free() }
      s.gatherRows(gr.base, gi.base, stride: l, first: r0, count: count, columns: l)
      fft.transform(re: s.im, im: s.re, scratchRe: s.tmpIm, scratchIm: s.tmpRe)
      s.scatterRows(gr.base, gi.base, stride: l, first: r0, count: count, columns: m)
    }
  }
}

/// Work space for one batch of 8 sequences of length n, and the transposing copies
/// between it and a row-major grid.
private struct Strip {
  let n: Int
  let re: UnsafeMutablePointer<SIMD4<Double>>
  let im: UnsafeMutablePointer<SIMD4<Double>>
  let tmpRe: UnsafeMutablePointer<SIMD4<Double>>
  let tmpIm: UnsafeMutablePointer<SIMD4<Double>>

  init(length n: Int) {
    self.n = n
    let v = n * BatchedFFT.vectors
    re = .allocate(capacity: v)
    im = .allocate(capacity: v)
    tmpRe = .allocate(capacity: v)
    tmpIm = .allocate(capacity: v)
  }

  func free() {
    re.deallocate()
    im.deallocate()
    tmpRe.deallocate()
    tmpIm.deallocate()
  }

  /// Lane t of element c ← grid[(first + t)·stride + c] for c < columns; zero beyond,
  /// and zero lanes t ≥ count.
  func gatherRows(
    _ gr: UnsafeMutablePointer<Double>, _ gi: UnsafeMutablePointer<Double>, stride: Int, first: Int,
    count: Int, columns: Int
  ) {
    if count == 8 {
      let r0 = gr + first * stride
      let r1 = r0 + stride
      let r2 = r1 + stride
      let r3 = r2 + stride
      let r4 = r3 + stride
      let r5 = r4 + stride
      let r6 = r5 + stride
      let r7 = r6 + stride
      let i0 = gi + first * stride
      let i1 = i0 + stride
      let i2 = i1 + stride
      let i3 = i2 + stride
      let i4 = i3 + stride
      let i5 = i4 + stride
      let i6 = i5 + stride
      let i7 = i6 + stride
      for c in 0..<columns {
        re[2 * c] = SIMD4(r0[c], r1[c], r2[c], r3[c])
        re[2 * c + 1] = SIMD4(r4[c], r5[c], r6[c], r7[c])
        im[2 * c] = SIMD4(i0[c], i1[c], i2[c], i3[c])
        im[2 * c + 1] = SIMD4(i4[c], i5[c], i6[c], i7[c])
      }
    } else {
      for c in 0..<columns {
        setElement(c, from: gr + first * stride + c, gi + first * stride + c, step: stride, count: count)
      }
    }
    zeroElements(from: columns)
  }

  /// grid[(first + t)·stride + c] ← lane t of element c, for c < columns and t < count.
  func scatterRows(
    _ gr: UnsafeMutablePointer<Double>, _ gi: UnsafeMutablePointer<Double>, stride: Int, first: Int,
    count: Int, columns: Int
  ) {
    for t in 0..<count {
      let rowRe = gr + (first + t) * stride
      let rowIm = gi + (first + t) * stride
      let v = t / 4
      let lane = t % 4
      for c in 0..<columns {
        rowRe[c] = re[2 * c + v][lane]
        rowIm[c] = im[2 * c + v][lane]
      }
    }
  }

  /// Element r ← grid[r·stride + first ..< + count] for r < rows; zero beyond.
  func gatherColumns(
    _ gr: UnsafeMutablePointer<Double>, _ gi: UnsafeMutablePointer<Double>, stride: Int, first: Int,
    count: Int, rows: Int
  ) {
    if count == 8 {
      for r in 0..<rows {
        let pr = UnsafeRawPointer(gr + r * stride + first)
        let pi = UnsafeRawPointer(gi + r * stride + first)
        re[2 * r] = pr.loadUnaligned(as: SIMD4<Double>.self)
        re[2 * r + 1] = pr.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
        im[2 * r] = pi.loadUnaligned(as: SIMD4<Double>.self)
        im[2 * r + 1] = pi.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
      }
    } else {
      for r in 0..<rows {
        setElement(r, from: gr + r * stride + first, gi + r * stride + first, step: 1, count: count)
      }
    }
    zeroElements(from: rows)
  }

  /// Element e ← the `count` (< 8) values at real[t·step], imaginary[t·step] in its
  /// lanes, zero in the rest: the partial batch at the end of a grid.
  @inline(__always)
  private func setElement(
    _ e: Int, from real: UnsafePointer<Double>, _ imaginary: UnsafePointer<Double>, step: Int, count: Int
  ) {
    var lanes = (SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>())
    for t in 0..<count {
      if t < 4 {
        lanes.0[t] = real[t * step]
        lanes.2[t] = imaginary[t * step]
      } else {
        lanes.1[t - 4] = real[t * step]
        lanes.3[t - 4] = imaginary[t * step]
      }
    }
    re[2 * e] = lanes.0
    re[2 * e + 1] = lanes.1
    im[2 * e] = lanes.2
    im[2 * e + 1] = lanes.3
  }

  /// Zeroes elements `first` ..< n, the padding of the transform.
  private func zeroElements(from first: Int) {
    let zero = SIMD4<Double>()
    for e in 2 * first..<2 * n {
      re[e] = zero
      im[e] = zero
    }
  }

  /// grid[r·stride + first ..< + count] ← element r, for r < rows.
  func scatterColumns(
    _ gr: UnsafeMutablePointer<Double>, _ gi: UnsafeMutablePointer<Double>, stride: Int, first: Int,
    count: Int, rows: Int
  ) {
    if count == 8 {
      for r in 0..<rows {
        let pr = UnsafeMutableRawPointer(gr + r * stride + first)
        let pi = UnsafeMutableRawPointer(gi + r * stride + first)
        pr.storeBytes(of: re[2 * r], as: SIMD4<Double>.self)
        pr.storeBytes(of: re[2 * r + 1], toByteOffset: 32, as: SIMD4<Double>.self)
        pi.storeBytes(of: im[2 * r], as: SIMD4<Double>.self)
        pi.storeBytes(of: im[2 * r + 1], toByteOffset: 32, as: SIMD4<Double>.self)
      }
    } else {
      for r in 0..<rows {
        for t in 0..<count {
          gr[r * stride + first + t] = re[2 * r + t / 4][t % 4]
          gi[r * stride + first + t] = im[2 * r + t / 4][t % 4]
        }
      }
    }
  }

  /// Multiplies element r, lane t by k[r·stride + t] (real).
  func multiplyReal(_ k: UnsafeMutablePointer<Double>, stride: Int, count: Int) {
    for r in 0..<n {
      let (lo, hi) = Strip.load(k + r * stride, count)
      re[2 * r] *= lo
      re[2 * r + 1] *= hi
      im[2 * r] *= lo
      im[2 * r + 1] *= hi
    }
  }

  /// Multiplies element r, lane t by kr[r·stride + t] + i·ki[r·stride + t].
  func multiplyComplex(
    _ kr: UnsafeMutablePointer<Double>, _ ki: UnsafeMutablePointer<Double>, stride: Int, count: Int
  ) {
    for r in 0..<n {
      let (ar, br) = Strip.load(kr + r * stride, count)
      let (ai, bi) = Strip.load(ki + r * stride, count)
      let xr0 = re[2 * r]
      let xi0 = im[2 * r]
      let xr1 = re[2 * r + 1]
      let xi1 = im[2 * r + 1]
      re[2 * r] = xr0 * ar - xi0 * ai
      im[2 * r] = xr0 * ai + xi0 * ar
      re[2 * r + 1] = xr1 * br - xi1 * bi
      im[2 * r + 1] = xr1 * bi + xi1 * br
    }
  }

  /// Multiplies every element by `factor`.
  func scale(_ factor: Double) {
    let f = SIMD4<Double>(repeating: factor)
    for e in 0..<2 * n {
      re[e] *= f
      im[e] *= f
    }
  }

  @inline(__always)
  private static func load(_ p: UnsafeMutablePointer<Double>, _ count: Int) -> (
    SIMD4<Double>, SIMD4<Double>
  ) {
    if count == 8 {
      let raw = UnsafeRawPointer(p)
      return (
        raw.loadUnaligned(as: SIMD4<Double>.self),
        raw.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
      )
    }
    var lo = SIMD4<Double>()
    var hi = SIMD4<Double>()
    for t in 0..<count {
      if t < 4 { lo[t] = p[t] } else { hi[t - 4] = p[t] }
    }
    return (lo, hi)
  }
}
