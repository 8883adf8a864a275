import CCairo

/// A grid of values drawn as coloured cells over a rectangle of data space, with an
/// optional colour bar beside the panel.
public struct Heatmap: Sendable {
  /// `rows` x `columns` values, row-major; row 0 is at the bottom (`yRange.lowerBound`).
  public var values: [Double]
  /// Cells along y.
  public var rows: Int
  /// Cells along x.
  public var columns: Int
  /// The data interval the columns span.
  public var xRange: ClosedRange<Double>
  /// The data interval the rows span.
  public var yRange: ClosedRange<Double>
  /// Colours from the lowest to the highest value.
  public var colormap = Colormap.viridis
  /// Values mapped to the ends of the colour map; nil uses the data's minimum and maximum.
  public var valueRange: ClosedRange<Double>?
  /// Interpolates between cells (densities) instead of sharp cells (matrices).
  public var smooth = false
  /// Label of the colour bar; nil draws no colour bar.
  public var colorbarLabel: String?

  public init(
    values: [Double], rows: Int, columns: Int, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
    colorbarLabel: String? = nil
  ) {
    self.values = values
    self.rows = rows
    self.columns = columns
    self.xRange = xRange
    self.yRange = yRange
    self.colorbarLabel = colorbarLabel
  }

  /// The values the colour map spans.
  var resolvedRange: ClosedRange<Double> {
    if let valueRange { return valueRange }
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max() else { return 0...1 }
    return low < high ? low...high : low...(low + 1)
  }
}

extension Heatmap: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    var bounds = LayerBounds(x: xRange, y: yRange)
    bounds.stickyX = [xRange.lowerBound, xRange.upperBound]
    bounds.stickyY = [yRange.lowerBound, yRange.upperBound]
    return bounds
  }

  func legendEntries(theme: Theme) -> [LegendEntry] { [] }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    guard let a = mapping.point(xRange.lowerBound, yRange.upperBound),
      let b = mapping.point(xRange.upperBound, yRange.lowerBound)
    else { return }
    grid.markRect(Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y), weight: 1)
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    guard rows > 0, columns > 0, values.count == rows * columns else {
      throw PlotError("heat map: \(values.count) values do not fill \(rows) x \(columns) cells")
    }
    guard mapping.x.scale == .linear, mapping.y.scale == .linear else {
      throw PlotError("heat map: needs linear axes")
    }
    var skipped = SkippedValues()
    let image = try CairoSurface.image(width: columns, height: rows)
    let pixels = ImagePixels(image)
    let range = resolvedRange
    let span = range.upperBound - range.lowerBound
    for row in 0..<rows {
      // Image rows run top to bottom; data row 0 is at the bottom.
      let line = pixels.base + (rows - 1 - row) * pixels.stride
      for column in 0..<columns {
        let value = values[row * columns + column]
        guard value.isFinite else {
          skipped.nonFinite += 1
          line[column] = 0
          continue
        }
        let c = colormap.color(at: (value - range.lowerBound) / span)
        line[column] =
          0xFF00_0000 | UInt32((c.red * 255).rounded()) << 16 | UInt32((c.green * 255).rounded()) << 8
          | UInt32((c.blue * 255).rounded())
      }
    }
    ImagePixels.markDirty(image)
    guard let a = mapping.point(xRange.lowerBound, yRange.upperBound),
      let b = mapping.point(xRange.upperBound, yRange.lowerBound)
    else { return skipped }
    context.canvas.paint(image: image, in: Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y), smooth: smooth)
    return skipped
  }
}
