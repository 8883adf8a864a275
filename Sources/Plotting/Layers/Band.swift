/// A shaded area between a lower and an upper curve (mean ± std, a confidence band).
/// Non-finite values split the band and are counted.
public struct Band: Sendable {
  /// Positions along x.
  public var x: [Double]
  /// Lower edge at each x.
  public var lower: [Double]
  /// Upper edge at each x.
  public var upper: [Double]
  /// Fill colour (made translucent by `alpha`).
  public var color: Color
  /// Fill opacity; nil uses the theme's band alpha (0.2).
  public var alpha: Double?
  /// Legend text; nil adds no entry (bands usually share their line's entry).
  public var label: String?

  public init(x: [Double], lower: [Double], upper: [Double], color: Color, label: String? = nil) {
    self.x = x
    self.lower = lower
    self.upper = upper
    self.color = color
    self.label = label
  }

  /// The band mean ± `spread` (for example the standard deviation) around `mean`.
  public init(x: [Double], mean: [Double], spread: [Double], color: Color) {
    self.init(
      x: x, lower: zip(mean, spread).map { $0 - $1 }, upper: zip(mean, spread).map { $0 + $1 }, color: color)
  }
}

extension Band: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    let low = LayerBounds(xs: x, ys: lower, x: xScale, y: yScale)
    let high = LayerBounds(xs: x, ys: upper, x: xScale, y: yScale)
    guard let lx = low.x, let ly = low.y, let hx = high.x, let hy = high.y else { return low.x == nil ? high : low }
    return LayerBounds(
      x: min(lx.lowerBound, hx.lowerBound)...max(lx.upperBound, hx.upperBound),
      y: min(ly.lowerBound, hy.lowerBound)...max(ly.upperBound, hy.upperBound))
  }

  func legendEntries(theme: Theme) -> [LegendEntry] {
    label.map { [LegendEntry($0, .patch(color.with(alpha: alpha ?? theme.bandAlpha)))] } ?? []
  }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    for i in 0..<min(x.count, lower.count, upper.count) {
      guard let low = mapping.point(x[i], lower[i]), let high = mapping.point(x[i], upper[i]) else { continue }
      grid.markSegment(low, high, weight: 0.25)
    }
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    guard x.count == lower.count, x.count == upper.count else {
      throw PlotError("band: \(x.count) x values but \(lower.count) lower and \(upper.count) upper values")
    }
    var skipped = SkippedValues()
    var runs: [[(Point, Point)]] = [[]]
    for i in 0..<x.count {
      if let low = mapping.point(x[i], lower[i]), let high = mapping.point(x[i], upper[i]) {
        runs[runs.count - 1].append((low, high))
      } else {
        skipped.count(x[i], lower[i].isFinite ? upper[i] : lower[i])
        if !runs[runs.count - 1].isEmpty { runs.append([]) }
      }
    }
    let canvas = context.canvas
    canvas.newPath()
    for run in runs where run.count > 1 {
      canvas.move(to: context.snap(run[0].1))
      for pair in run.dropFirst() { canvas.line(to: context.snap(pair.1)) }
      for pair in run.reversed() { canvas.line(to: context.snap(pair.0)) }
      canvas.closePath()
    }
    canvas.setColor(color.with(alpha: alpha ?? context.theme.bandAlpha))
    canvas.fill()
    return skipped
  }
}
