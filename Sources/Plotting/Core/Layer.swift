/// One thing drawn inside a panel, in drawing order (later layers on top).
public enum Layer: Sendable {
  case scatter(Scatter)
  case line(Line)
  case band(Band)
  case bars(Bars)
  case heatmap(Heatmap)
  case rule(Rule)
  case circle(CircleGuide)
  case text(TextLabel)

  var drawing: any LayerDrawing {
    switch self {
    case .scatter(let layer): layer
    case .line(let layer): layer
    case .band(let layer): layer
    case .bars(let layer): layer
    case .heatmap(let layer): layer
    case .rule(let layer): layer
    case .circle(let layer): layer
    case .text(let layer): layer
    }
  }
}

/// What every layer kind does; the `Layer` enum dispatches to it.
protocol LayerDrawing {
  /// The extent of the drawable data on axes of these scales.
  func bounds(x: AxisScale, y: AxisScale) -> LayerBounds
  /// Draws the layer clipped to the plot area; returns what it had to skip.
  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues
  /// The legend entries this layer contributes (none without a label).
  func legendEntries(theme: Theme) -> [LegendEntry]
  /// Records where the layer puts ink, so a legend can avoid it.
  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping)
}

/// Values a layer could not draw.
struct SkippedValues: Equatable {
  /// NaN or infinite.
  var nonFinite = 0
  /// Zero or negative on a log axis.
  var nonPositive = 0

  static func + (a: SkippedValues, b: SkippedValues) -> SkippedValues {
    SkippedValues(nonFinite: a.nonFinite + b.nonFinite, nonPositive: a.nonPositive + b.nonPositive)
  }

  /// Counts one (x, y) pair that the axes cannot draw.
  mutating func count(_ xValue: Double, _ yValue: Double) {
    if !xValue.isFinite || !yValue.isFinite {
      nonFinite += 1
    } else {
      nonPositive += 1
    }
  }
}

/// The data extent of a layer, and limits that margins must not cross (a histogram's
/// zero baseline, a heat map's edges), as matplotlib's "sticky edges".
struct LayerBounds {
  var x: ClosedRange<Double>?
  var y: ClosedRange<Double>?
  var stickyX: [Double] = []
  var stickyY: [Double] = []

  /// Extent of the pairs both axes can draw.
  init(xs: [Double], ys: [Double], x xScale: AxisScale, y yScale: AxisScale) {
    var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
    for (a, b) in zip(xs, ys)
    where a.isFinite && b.isFinite && (xScale == .linear || a > 0) && (yScale == .linear || b > 0) {
      minX = min(minX, a)
      maxX = max(maxX, a)
      minY = min(minY, b)
      maxY = max(maxY, b)
    }
    if minX <= maxX {
      x = minX...maxX
      y = minY...maxY
    }
  }

  init(x: ClosedRange<Double>?, y: ClosedRange<Double>?) {
    self.x = x
    self.y = y
  }

  /// The extent of values one axis can draw.
  static func range(of values: [Double], scale: AxisScale) -> ClosedRange<Double>? {
    var low = Double.infinity, high = -Double.infinity
    for v in values where v.isFinite && (scale == .linear || v > 0) {
      low = min(low, v)
      high = max(high, v)
    }
    return low <= high ? low...high : nil
  }
}

/// One entry of a legend: a symbol and its text.
public struct LegendEntry: Sendable, Equatable {
  /// The text of the entry.
  public var label: String
  /// What is drawn before the text.
  public var symbol: LegendSymbol

  public init(_ label: String, _ symbol: LegendSymbol) {
    self.label = label
    self.symbol = symbol
  }
}

/// The little drawing in front of a legend entry.
public enum LegendSymbol: Sendable, Equatable {
  /// A scatter marker.
  case marker(Color, MarkerShape)
  /// A line segment, optionally with a marker in its middle.
  case line(Color, width: Double, dash: [Double], marker: MarkerShape?, filled: Bool)
  /// A filled square (histogram bars, bands).
  case patch(Color)
  /// A line over a light band: a mean with its ±std.
  case lineWithBand(Color, width: Double, dash: [Double])
  /// Two short segments side by side, for an entry that stands for a pair of curves.
  case linePair(Color, Color, width: Double)
}

/// A coarse grid over the plot area counting where layers put ink; the legend goes
/// where the count is lowest.
struct OccupancyGrid {
  let rect: Rect
  let cell: Double
  let columns: Int
  let rows: Int
  private(set) var counts: [Double]

  init(rect: Rect, cell: Double = 3) {
    self.rect = rect
    self.cell = cell
    columns = max(1, Int((rect.width / cell).rounded(.up)))
    rows = max(1, Int((rect.height / cell).rounded(.up)))
    counts = Array(repeating: 0, count: columns * rows)
  }

  mutating func mark(_ point: Point, weight: Double = 1) {
    let column = Int((point.x - rect.minX) / cell), row = Int((point.y - rect.minY) / cell)
    guard column >= 0, column < columns, row >= 0, row < rows else { return }
    counts[row * columns + column] += weight
  }

  /// Marks points along a segment, one per half cell.
  mutating func markSegment(_ a: Point, _ b: Point, weight: Double = 1) {
    let length = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
    let steps = max(1, Int(length / (cell / 2)))
    for step in 0...steps {
      let t = Double(step) / Double(steps)
      mark(Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t), weight: weight)
    }
  }

  mutating func markRect(_ area: Rect, weight: Double) {
    var y = area.minY + cell / 2
    while y < area.maxY {
      var x = area.minX + cell / 2
      while x < area.maxX {
        mark(Point(x, y), weight: weight)
        x += cell
      }
      y += cell
    }
  }

  /// The ink under `area`.
  func cost(_ area: Rect) -> Double {
    let c0 = max(0, Int((area.minX - rect.minX) / cell)), c1 = min(columns - 1, Int((area.maxX - rect.minX) / cell))
    let r0 = max(0, Int((area.minY - rect.minY) / cell)), r1 = min(rows - 1, Int((area.maxY - rect.minY) / cell))
    guard c0 <= c1, r0 <= r1 else { return 0 }
    var total = 0.0
    for row in r0...r1 {
      for column in c0...c1 { total += counts[row * columns + column] }
    }
    return total
  }
}

/// Everything a layer needs while it draws.
final class DrawContext {
  let canvas: Canvas
  let target: RenderTarget
  let theme: Theme
  /// Pixels per inch of the images embedded in vector output (dense scatters).
  let rasterDPI: Double

  init(canvas: Canvas, target: RenderTarget, theme: Theme, rasterDPI: Double) {
    self.canvas = canvas
    self.target = target
    self.theme = theme
    self.rasterDPI = rasterDPI
  }

  /// Coordinates written into PDF/SVG are rounded to 1/100 pt (invisible, and it keeps
  /// files small); raster output keeps full precision.
  func snap(_ point: Point) -> Point {
    guard canvas.isVector else { return point }
    return Point((point.x * 100).rounded() / 100, (point.y * 100).rounded() / 100)
  }
}
