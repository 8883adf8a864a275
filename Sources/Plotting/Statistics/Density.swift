import Foundation

/// Smooth density estimates for the distribution figures.
public enum Density {
  /// The normal density N(`mean`, `variance`) at each x (a score distribution drawn from
  /// its stored moments).
  public static func normal(mean: Double, variance: Double, at xs: [Double]) -> [Double] {
    guard variance > 0 else { return xs.map { _ in .nan } }
    let scale = 1 / (2 * Double.pi * variance).squareRoot()
    return xs.map { scale * exp(-($0 - mean) * ($0 - mean) / (2 * variance)) }
  }

  /// Scott's rule bandwidth for a 1-D Gaussian KDE, σ·n^(−1/5) (SciPy's default), with
  /// the sample standard deviation (ddof 1). Zero when the values do not vary.
  public static func scottBandwidth(_ values: [Double]) -> Double {
    let n = Double(values.count)
    guard values.count > 1 else { return 0 }
    let mean = values.reduce(0, +) / n
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    return variance.squareRoot() * pow(n, -0.2)
  }

  /// A Gaussian kernel density estimate of the finite `values` at each grid point, with
  /// bandwidth `bandwidth` (Scott's rule when nil). Kernels are cut at 8 bandwidths,
  /// where they are below 1e-14 of their peak.
  public static func gaussianKDE(_ values: [Double], at grid: [Double], bandwidth: Double? = nil) throws(PlotError)
    -> [Double]
  {
    let finite = values.filter(\.isFinite).sorted()
    guard !finite.isEmpty else { throw PlotError.empty("density estimate input") }
    var h = bandwidth ?? scottBandwidth(finite)
    if !(h > 0) { h = max(abs(finite[0]) * 1e-3, 1e-3) }  // all values equal: a narrow spike
    let norm = 1 / (Double(finite.count) * h * (2 * Double.pi).squareRoot())
    let reach = 8 * h
    return grid.map { x in
      var low = 0, high = finite.count
      while low < high {  // first value ≥ x − reach
        let middle = (low + high) / 2
        if finite[middle] < x - reach { low = middle + 1 } else { high = middle }
      }
      var total = 0.0
      var index = low
      while index < finite.count, finite[index] <= x + reach {
        let u = (x - finite[index]) / h
        total += exp(-0.5 * u * u)
        index += 1
      }
      return total * norm
    }
  }

  /// A circular rule-of-thumb concentration for a von Mises KDE of `angles`:
  /// bandwidth h = 1.06·σ·n^(−1/5) with the circular standard deviation
  /// σ = √(−2 ln R̄) (capped at that of a uniform circle), and κ = 1/h².
  public static func vonMisesConcentration(_ angles: [Double]) -> Double {
    let finite = angles.filter(\.isFinite)
    guard !finite.isEmpty else { return 1 }
    let n = Double(finite.count)
    let c = finite.reduce(0) { $0 + cos($1) } / n
    let s = finite.reduce(0) { $0 + sin($1) } / n
    let resultant = max((c * c + s * s).squareRoot(), 1e-12)
    let sigma = min((-2 * log(resultant)).squareRoot(), Double.pi / 3.0.squareRoot())
    let h = max(1.06 * sigma * pow(n, -0.2), 1e-3)
    return 1 / (h * h)
  }

  /// A von Mises kernel density of `angles` (radians) at each grid angle:
  /// f(θ) = (1/n) Σ exp(κ cos(θ − θᵢ)) / (2π I₀(κ)). The normaliser is computed as
  /// exp(κ)·∫exp(κ(cos t − 1))dt by the trapezoid rule, which is exact to rounding for a
  /// periodic integrand, so large κ does not overflow.
  public static func vonMisesKDE(_ angles: [Double], at grid: [Double], concentration kappa: Double) throws(PlotError)
    -> [Double]
  {
    let finite = angles.filter(\.isFinite)
    guard !finite.isEmpty else { throw PlotError.empty("angle density input") }
    guard kappa > 0, kappa.isFinite else { throw PlotError("von Mises concentration must be positive, got \(kappa)") }
    let steps = 4096
    var integral = 0.0
    for step in 0..<steps { integral += exp(kappa * (cos(2 * Double.pi * Double(step) / Double(steps)) - 1)) }
    integral *= 2 * Double.pi / Double(steps)
    let norm = 1 / (Double(finite.count) * integral)
    let cosines = finite.map(cos), sines = finite.map(sin)
    return grid.map { theta in
      let ct = cos(theta), st = sin(theta)
      var total = 0.0
      for i in 0..<finite.count {
        // cos(θ − θᵢ) = cos θ cos θᵢ + sin θ sin θᵢ
        total += exp(kappa * (ct * cosines[i] + st * sines[i] - 1))
      }
      return total * norm
    }
  }

  /// A 2-D Gaussian KDE on a `size` x `size` grid over `range` on both axes, with Scott's
  /// bandwidth n^(−1/6)·σ per axis. Points are linearly binned onto the grid first and
  /// the kernel applied as two 1-D convolutions, so the cost grows with n plus the grid
  /// size instead of their product.
  /// Returns densities row-major with row 0 at the bottom (the `Heatmap` layout).
  public static func gaussianKDE2D(
    x: [Double], y: [Double], range: ClosedRange<Double>, size: Int
  ) throws(PlotError) -> [Double] {
    var xs = [Double](), ys = [Double]()
    for (a, b) in zip(x, y) where a.isFinite && b.isFinite {
      xs.append(a)
      ys.append(b)
    }
    guard !xs.isEmpty else { throw PlotError.empty("2-D density estimate input") }
    let n = Double(xs.count)
    let factor = pow(n, -1.0 / 6.0)
    func std(_ v: [Double]) -> Double {
      guard v.count > 1 else { return 0 }
      let mean = v.reduce(0, +) / Double(v.count)
      return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot()
    }
    let cell = (range.upperBound - range.lowerBound) / Double(size - 1)
    let hx = max(std(xs) * factor, cell), hy = max(std(ys) * factor, cell)
    func kernel(_ h: Double) -> [Double] {
      let radius = Int((5 * h / cell).rounded(.up))
      return (-radius...radius).map { exp(-0.5 * pow(Double($0) * cell / h, 2)) / (h * (2 * Double.pi).squareRoot()) }
    }
    let kx = kernel(hx), ky = kernel(hy)
    // Bin onto a grid padded by the kernel's reach, so that points just outside the
    // range still add their tails inside it.
    let pad = max(kx.count, ky.count) / 2
    let side = size + 2 * pad
    let origin = range.lowerBound - Double(pad) * cell
    // Linear binning: each point spreads its unit mass over the four nearest grid nodes.
    var grid = [Double](repeating: 0, count: side * side)
    for (a, b) in zip(xs, ys) {
      let gx = (a - origin) / cell, gy = (b - origin) / cell
      guard gx > -1, gy > -1, gx < Double(side), gy < Double(side) else { continue }
      let ix = Int(gx.rounded(.down)), iy = Int(gy.rounded(.down))
      let fx = gx - Double(ix), fy = gy - Double(iy)
      for (dx, wx) in [(0, 1 - fx), (1, fx)] {
        for (dy, wy) in [(0, 1 - fy), (1, fy)] {
          let cx = ix + dx, cy = iy + dy
          if cx >= 0, cx < side, cy >= 0, cy < side { grid[cy * side + cx] += wx * wy }
        }
      }
    }
    // The kernel as two 1-D convolutions, evaluated only at the nodes inside the range:
    // along x, then (transposed) along y.
    let alongX = convolveRows(grid, rows: side, width: side, kernel: kx, offset: pad, count: size)
    let alongY = convolveRows(
      transpose(alongX, rows: side, columns: size), rows: size, width: side, kernel: ky, offset: pad, count: size)
    return transpose(alongY, rows: size, columns: size).map { $0 / n }
  }

  /// `out[r][c] = Σₖ grid[r][c + offset + k − radius]·kernel[k]` for `count` columns.
  private static func convolveRows(
    _ grid: [Double], rows: Int, width: Int, kernel: [Double], offset: Int, count: Int
  ) -> [Double] {
    let radius = kernel.count / 2
    var result = [Double](repeating: 0, count: rows * count)
    for row in 0..<rows {
      for column in 0..<count {
        var total = 0.0
        for k in 0..<kernel.count {
          let source = column + offset + k - radius
          if source >= 0, source < width { total += grid[row * width + source] * kernel[k] }
        }
        result[row * count + column] = total
      }
    }
    return result
  }

  private static func transpose(_ grid: [Double], rows: Int, columns: Int) -> [Double] {
    var result = [Double](repeating: 0, count: rows * columns)
    for row in 0..<rows { for column in 0..<columns { result[column * rows + row] = grid[row * columns + column] } }
    return result
  }
}
