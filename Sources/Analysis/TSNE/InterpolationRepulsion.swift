import Engine

/// Where the interpolation grid of FIt-SNE lies: a square of `boxes`×`boxes` boxes of
/// side `width` starting at (`originX`, `originY`), with `points` equispaced Lagrange
/// nodes per box and axis at offsets (k + ½)/points.
struct InterpolationGeometry: Equatable {
  let originX: Double
  let originY: Double
  let boxes: Int
  let width: Double
  let points: Int

  /// Nodes per side.
  var nodes: Int { boxes * points }
  /// Distance between neighbouring nodes.
  var spacing: Double { width / Double(points) }
  /// Centre of the square.
  var centreX: Double { originX + Double(boxes) * width / 2 }
  var centreY: Double { originY + Double(boxes) * width / 2 }

  /// The grid for points spanning [minX, maxX]×[minY, maxY]: at least `minimumBoxes`
  /// boxes; boxes of side `boxWidth` once the extent needs more (rounded up to a size
  /// whose FFT is fast, so a grid and its kernels stay the same while the embedding
  /// grows slowly); at most 1000 boxes, which then widen.
  static func covering(
    minX: Double, maxX: Double, minY: Double, maxY: Double,
    minimumBoxes: Int, boxWidth: Double, points: Int
  ) -> InterpolationGeometry {
    let extent = max(maxX - minX, maxY - minY, 1e-12)
    let boxes: Int
    let width: Double
    let needed = (extent / boxWidth).rounded(.up)
    if needed <= Double(minimumBoxes) {
      boxes = BatchedFFT.goodSize(atLeast: minimumBoxes)
      width = extent / Double(boxes)
    } else if needed > 1000 {
      boxes = 1000
      width = extent / 1000
    } else {
      boxes = min(1000, BatchedFFT.goodSize(atLeast: Int(needed)))
      width = boxWidth
    }
    let side = Double(boxes) * width
    return InterpolationGeometry(
      originX: (minX + maxX) / 2 - side / 2, originY: (minY + maxY) / 2 - side / 2,
      boxes: boxes, width: width, points: points)
  }

  /// Box index and the Lagrange weights of coordinate `v` along an axis starting at
  /// `origin`; points outside the grid use the nearest box's polynomial.
  @inline(__always)
  func locate(_ v: Double, origin: Double, weights: UnsafeMutablePointer<Double>) -> Int {
    let t = (v - origin) / width
    let box = max(0, min(boxes - 1, Int(t.rounded(.down))))
    let u = t - Double(box)
    let p = points
    if p == 3 {
      // Nodes 1/6, 1/2, 5/6: denominators (t_k − t_j) products are 2/9, −1/9, 2/9.
      let a = u - 1.0 / 6
      let b = u - 0.5
      let c = u - 5.0 / 6
      weights[0] = 4.5 * b * c
      weights[1] = -9 * a * c
      weights[2] = 4.5 * a * b
      return box
    }
    let invP = 1 / Double(p)
    for k in 0..<p {
      let tk = (Double(k) + 0.5) * invP
      var num = 1.0
      var den = 1.0
      for j in 0..<p where j != k {
        let tj = (Double(j) + 0.5) * invP
        num *= u - tj
        den *= tk - tj
      }
      weights[k] = num / den
    }
    return box
  }
}

/// The potentials of a set of charges at arbitrary points, by interpolation to a grid,
/// FFT convolution and interpolation back (Linderman et al. 2019, "FIt-SNE").
///
/// Charges of point j: (x_j − c_x, y_j − c_y) under K₂ and 1 under both K₂ and K₁, with
/// c the grid centre (small coordinates keep the cancellation in y_i·φ − φ_y small).
struct InterpolationField {
  let geometry: InterpolationGeometry
  let grid: ConvolutionGrid

  /// Spreads the charges of `sources` (2-D, [x0, y0, ...]) onto `grid` and convolves.
  /// The grid must have been built for `geometry` (its node count and spacing).
  init(
    sources: UnsafeBufferPointer<Double>, geometry: InterpolationGeometry, grid: ConvolutionGrid,
    threads: ThreadCount
  ) {
    self.geometry = geometry
    self.grid = grid
    let n = sources.count / 2
    let p = geometry.points
    let boxes = geometry.boxes
    let l = grid.l
    // Box of every point, and the points of each box row in index order.
    var boxX = [Int32](repeating: 0, count: n)
    var boxY = [Int32](repeating: 0, count: n)
    var wx = [Double](repeating: 0, count: n * p)
    var wy = [Double](repeating: 0, count: n * p)
    wx.withUnsafeMutableBufferPointer { wxb in
      wy.withUnsafeMutableBufferPointer { wyb in
        for i in 0..<n {
          boxX[i] = Int32(
            geometry.locate(
              sources[2 * i], origin: geometry.originX, weights: wxb.baseAddress! + i * p))
          boxY[i] = Int32(
            geometry.locate(
              sources[2 * i + 1], origin: geometry.originY, weights: wyb.baseAddress! + i * p))
        }
      }
    }
    var rowStart = [Int](repeating: 0, count: boxes + 1)
    for b in boxY { rowStart[Int(b) + 1] += 1 }
    for b in 0..<boxes { rowStart[b + 1] += rowStart[b] }
    var fill = rowStart
    var members = [Int32](repeating: 0, count: n)
    for i in 0..<n {
      let b = Int(boxY[i])
      members[fill[b]] = Int32(i)
      fill[b] += 1
    }
    grid.clear()
    let rows = rowStart
    let order = members
    let columnOf = boxX
    let weightsX = wx
    let weightsY = wy
    let cx = geometry.centreX
    let cy = geometry.centreY
    let aRe = SendablePointer(grid.aRe)
    let aIm = SendablePointer(grid.aIm)
    let bRe = SendablePointer(grid.bRe)
    let src = SendablePointer(UnsafeMutablePointer(mutating: sources.baseAddress!))
    // Each box row owns its own p node rows, so rows can be filled in parallel.
    parallelFor(chunks: boxes, threads: threads) { row in
      for t in rows[row]..<rows[row + 1] {
        let i = Int(order[t])
        let qx = src[2 * i] - cx
        let qy = src[2 * i + 1] - cy
        let column0 = Int(columnOf[i]) * p
        let row0 = row * p
        for ky in 0..<p {
          let wyk = weightsY[i * p + ky]
          let base = (row0 + ky) * l + column0
          for kx in 0..<p {
            let w = wyk * weightsX[i * p + kx]
            aRe[base + kx] += w * qx
            aIm[base + kx] += w * qy
            bRe[base + kx] += w
          }
        }
      }
    }
    grid.convolve(threads: threads)
  }

  /// For every target point: the unnormalised repulsive force Σ_j K₂(y_i, y_j)(y_i − y_j)
  /// into `forces`, and Σ_j K₁(y_i, y_j) into `kernelSums` (sums include a source at the
  /// same place as the target, if any).
  func evaluate(
    at targets: UnsafeBufferPointer<Double>, forces: UnsafeMutableBufferPointer<Double>,
    kernelSums: UnsafeMutableBufferPointer<Double>, threads: ThreadCount
  ) {
    let n = targets.count / 2
    let p = geometry.points
    let l = grid.l
    let geometry = self.geometry
    let aRe = SendablePointer(grid.aRe)
    let aIm = SendablePointer(grid.aIm)
    let bRe = SendablePointer(grid.bRe)
    let bIm = SendablePointer(grid.bIm)
    let tg = SendablePointer(UnsafeMutablePointer(mutating: targets.baseAddress!))
    let out = SendablePointer(forces.baseAddress!)
    let sums = SendablePointer(kernelSums.baseAddress!)
    let cx = geometry.centreX
    let cy = geometry.centreY
    let chunks = (n + tsneChunk - 1) / tsneChunk
    parallelFor(chunks: chunks, threads: threads) { chunk in
      let wx = UnsafeMutablePointer<Double>.allocate(capacity: p)
      let wy = UnsafeMutablePointer<Double>.allocate(capacity: p)
      defer {
        wx.deallocate()
        wy.deallocate()
      }
      for i in chunk * tsneChunk..<min(n, (chunk + 1) * tsneChunk) {
        let x = tg[2 * i]
        let y = tg[2 * i + 1]
        let bx = geometry.locate(x, origin: geometry.originX, weights: wx)
        let by = geometry.locate(y, origin: geometry.originY, weights: wy)
        var phiX = 0.0
        var phiY = 0.0
        var phi2 = 0.0
        var phi1 = 0.0
        for ky in 0..<p {
          let base = (by * p + ky) * l + bx * p
          var rx = 0.0
          var ry = 0.0
          var r2 = 0.0
          var r1 = 0.0
          for kx in 0..<p {
            let w = wx[kx]
            rx += w * aRe[base + kx]
            ry += w * aIm[base + kx]
            r2 += w * bRe[base + kx]
            r1 += w * bIm[base + kx]
          }
          phiX += wy[ky] * rx
          phiY += wy[ky] * ry
          phi2 += wy[ky] * r2
          phi1 += wy[ky] * r1
        }
        out[2 * i] = (x - cx) * phi2 - phiX
        out[2 * i + 1] = (y - cy) * phi2 - phiY
        sums[i] = phi1
      }
    }
  }
}

/// Interpolation (FFT) repulsion for fitting: the embedding is both source and target,
/// the grid follows its extent every iteration, and the kernels are rebuilt only when the
/// grid's node count or spacing changes.
struct InterpolationRepulsion: Repulsion {
  let dof: Double
  let points: Int
  let minimumBoxes: Int
  let boxWidth: Double
  let threads: ThreadCount
  private var cache: (nodes: Int, spacing: Double, grid: ConvolutionGrid)?
  /// The last grid used (for logs and tests).
  private(set) var lastGeometry: InterpolationGeometry?

  init(dof: Double, points: Int, minimumBoxes: Int, boxWidth: Double, threads: ThreadCount) {
    self.dof = dof
    self.points = points
    self.minimumBoxes = minimumBoxes
    self.boxWidth = boxWidth
    self.threads = threads
  }

  /// The convolution grid for `geometry`, reusing the cached one when it fits.
  mutating func grid(for geometry: InterpolationGeometry) -> ConvolutionGrid {
    if let cache, cache.nodes == geometry.nodes, cache.spacing == geometry.spacing {
      return cache.grid
    }
    let grid = ConvolutionGrid(
      nodes: geometry.nodes, spacing: geometry.spacing, dof: dof, threads: threads)
    cache = (geometry.nodes, geometry.spacing, grid)
    return grid
  }

  mutating func forces(
    _ y: UnsafeBufferPointer<Double>, into forces: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    let n = y.count / 2
    let (minX, maxX, minY, maxY) = boundingBox(y)
    let geometry = InterpolationGeometry.covering(
      minX: minX, maxX: maxX, minY: minY, maxY: maxY, minimumBoxes: minimumBoxes,
      boxWidth: boxWidth, points: points)
    lastGeometry = geometry
    let field = InterpolationField(
      sources: y, geometry: geometry, grid: grid(for: geometry), threads: threads)
    var sums = [Double](repeating: 0, count: n)
    sums.withUnsafeMutableBufferPointer {
      field.evaluate(at: y, forces: forces, kernelSums: $0, threads: threads)
    }
    // Z = Σ_i Σ_j K₁ − N (each point's own term is K₁(0) = 1), summed in fixed chunks.
    let kernelSums = sums
    return chunkedSum(count: n, threads: .one) { points in
      var s = 0.0
      for i in points { s += kernelSums[i] }
      return s
    } - Double(n)
  }
}
