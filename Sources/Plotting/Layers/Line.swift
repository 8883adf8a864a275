/// A line through (x, y) pairs, optionally with markers. Non-finite values break the
/// line (as in matplotlib) and are counted.
public struct Line: Sendable {
  /// x of each vertex.
  public var x: [Double]
  /// y of each vertex.
  public var y: [Double]
  /// Line and marker colour.
  public var color: Color
  /// Line width in points; nil uses the theme's.
  public var width: Double?
  /// Dash pattern in points; empty for solid.
  public var dash: [Double] = []
  /// A marker at every vertex, or none.
  public var marker: MarkerShape?
  /// Marker diameter in points.
  public var markerSize = 4.0
  /// Hollow markers (white inside) when false.
  public var markerFilled = true
  /// Legend text; nil adds no entry.
  public var label: String?
  /// Legend symbol shows the line over a light band (mean ± std) when set.
  public var legendShowsBand = false

  public init(
    x: [Double], y: [Double], color: Color, label: String? = nil, dash: [Double] = [], marker: MarkerShape? = nil
  ) {
    self.x = x
    self.y = y
    self.color = color
    self.label = label
    self.dash = dash
    self.marker = marker
  }
}

extension Line: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    LayerBounds(xs: x, ys: y, x: xScale, y: yScale)
  }

  func legendEntries(theme: Theme) -> [LegendEntry] {
    guard let label else { return [] }
    let width = self.width ?? theme.lineWidth
    if legendShowsBand { return [LegendEntry(label, .lineWithBand(color, width: width, dash: dash))] }
    return [LegendEntry(label, .line(color, width: width, dash: dash, marker: marker, filled: markerFilled))]
  }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    var previous: Point?
    for (a, b) in zip(x, y) {
      guard let point = mapping.point(a, b) else {
        previous = nil
        continue
      }
      if let previous { grid.markSegment(previous, point) } else { grid.mark(point) }
      previous = point
    }
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    guard x.count == y.count else {
      throw PlotError("line '\(label ?? "")': \(x.count) x values but \(y.count) y values")
    }
    var skipped = SkippedValues()
    var runs: [[Point]] = [[]]
    for (a, b) in zip(x, y) {
      if let point = mapping.point(a, b) {
        runs[runs.count - 1].append(point)
      } else {
        skipped.count(a, b)
        if !runs[runs.count - 1].isEmpty { runs.append([]) }
      }
    }
    let canvas = context.canvas
    canvas.setColor(color)
    canvas.setLineWidth(width ?? context.theme.lineWidth)
    canvas.setDash(dash)
    canvas.newPath()
    for run in runs where run.count > 1 {
      let points = LineDecimation.reduce(run, resolution: 0.25)
      canvas.move(to: context.snap(points[0]))
      for point in points.dropFirst() { canvas.line(to: context.snap(point)) }
    }
    canvas.stroke()
    return skipped
  }
}

extension Line {
  /// Draws the markers whose centres lie in the plot area. This runs outside the plot
  /// area's clip, so a marker on the edge (accuracy 0, ε = 0) is drawn whole.
  func drawMarkers(in context: DrawContext, mapping: PlotMapping) {
    guard let marker else { return }
    let rect = mapping.rect
    for (a, b) in zip(x, y) {
      guard let point = mapping.point(a, b), point.x >= rect.minX - 0.01, point.x <= rect.maxX + 0.01,
        point.y >= rect.minY - 0.01, point.y <= rect.maxY + 0.01
      else { continue }
      marker.draw(
        on: context.canvas, center: context.snap(point), size: markerSize, color: color, filled: markerFilled,
        edgeWidth: (width ?? context.theme.lineWidth) * 0.8)
    }
  }
}

/// Thins long lines before drawing without changing how they look: within each slice
/// of `resolution` points along x, only the first, lowest, highest and last vertices can
/// be seen, so the others are dropped (matplotlib's path simplification does the same).
enum LineDecimation {
  static func reduce(_ points: [Point], resolution: Double) -> [Point] {
    guard points.count > 512 else { return points }
    // Only for lines that go left to right; anything else is drawn as given.
    for i in 1..<points.count where points[i].x < points[i - 1].x { return points }
    var result = [Point]()
    result.reserveCapacity(points.count / 4)
    var start = 0
    while start < points.count {
      let slice = (points[start].x / resolution).rounded(.down)
      var end = start + 1
      var lowest = start, highest = start
      while end < points.count, (points[end].x / resolution).rounded(.down) == slice {
        if points[end].y < points[lowest].y { lowest = end }
        if points[end].y > points[highest].y { highest = end }
        end += 1
      }
      for index in Set([start, lowest, highest, end - 1]).sorted() { result.append(points[index]) }
      start = end
    }
    return result
  }
}
