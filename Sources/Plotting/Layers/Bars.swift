/// A histogram: bars between consecutive `edges` with the given `heights`, drawn as a
/// translucent fill under a step outline so overlapping histograms stay readable.
public struct Bars: Sendable {
  /// Bin edges, one more than `heights`, increasing.
  public var edges: [Double]
  /// Height of each bar (counts or densities).
  public var heights: [Double]
  /// Outline colour, and fill colour at `fillAlpha`.
  public var color: Color
  /// Fill opacity; 0 draws the outline only.
  public var fillAlpha = 0.35
  /// Legend text; nil adds no entry.
  public var label: String?

  public init(edges: [Double], heights: [Double], color: Color, label: String? = nil) {
    self.edges = edges
    self.heights = heights
    self.color = color
    self.label = label
  }
}

extension Bars: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    var bounds = LayerBounds(
      x: LayerBounds.range(of: edges, scale: xScale), y: LayerBounds.range(of: heights + [0], scale: yScale))
    bounds.stickyY = [0]
    return bounds
  }

  func legendEntries(theme: Theme) -> [LegendEntry] {
    label.map { [LegendEntry($0, .patch(color.with(alpha: max(fillAlpha, 0.5))))] } ?? []
  }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    for i in 0..<min(heights.count, edges.count - 1) {
      guard let a = mapping.point(edges[i], heights[i]), let b = mapping.point(edges[i + 1], mapping.y.lower) else {
        continue
      }
      grid.markRect(Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y), weight: 0.5)
    }
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    guard edges.count == heights.count + 1 else {
      throw PlotError("histogram: \(edges.count) edges for \(heights.count) bars (need one more edge than bars)")
    }
    var skipped = SkippedValues()
    let base = mapping.y.scale == .log ? mapping.y.lower : 0
    guard let baseY = mapping.pageY(base) else { return skipped }
    var outline = [Point]()
    let canvas = context.canvas
    canvas.newPath()
    for i in 0..<heights.count {
      guard let left = mapping.pageX(edges[i]), let right = mapping.pageX(edges[i + 1]),
        let top = mapping.pageY(heights[i])
      else {
        skipped.count(edges[i], heights[i])
        continue
      }
      if let last = outline.last, abs(last.x - left) > 1e-9 {
        outline.append(Point(last.x, baseY))
        outline.append(Point(left, baseY))
      } else if outline.isEmpty {
        outline.append(Point(left, baseY))
      }
      outline.append(Point(left, top))
      outline.append(Point(right, top))
      canvas.addRect(Rect(x: left, y: min(top, baseY), width: right - left, height: abs(baseY - top)))
    }
    if fillAlpha > 0 {
      canvas.setColor(color.with(alpha: fillAlpha))
      canvas.fill()
    }
    canvas.newPath()
    if let last = outline.last {
      outline.append(Point(last.x, baseY))
      canvas.move(to: context.snap(outline[0]))
      for point in outline.dropFirst() { canvas.line(to: context.snap(point)) }
      canvas.setColor(color)
      canvas.setLineWidth(context.theme.lineWidth * 0.75)
      canvas.setDash([])
      canvas.stroke()
    }
    return skipped
  }
}
