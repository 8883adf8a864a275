import Foundation

/// A horizontal or vertical reference line across the whole panel (a clean-accuracy
/// level, a learning-rate milestone, a mean).
public struct Rule: Sendable {
  /// Which axis the value is on.
  public enum Orientation: Sendable { case horizontal, vertical }

  /// Horizontal (at a y value) or vertical (at an x value).
  public var orientation: Orientation
  /// Where the line is, in data units.
  public var value: Double
  /// Line colour.
  public var color: Color
  /// Line width in points.
  public var width = 0.8
  /// Dash pattern in points.
  public var dash: [Double] = DashPattern.dashed
  /// Legend text; nil adds no entry.
  public var label: String?

  /// A horizontal line at y = `value`.
  public static func horizontal(_ value: Double, color: Color, label: String? = nil) -> Rule {
    Rule(orientation: .horizontal, value: value, color: color, label: label)
  }

  /// A vertical line at x = `value`.
  public static func vertical(_ value: Double, color: Color, label: String? = nil) -> Rule {
    Rule(orientation: .vertical, value: value, color: color, label: label)
  }

  init(orientation: Orientation, value: Double, color: Color, label: String?) {
    self.orientation = orientation
    self.value = value
    self.color = color
    self.label = label
  }
}

extension Rule: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    let range = LayerBounds.range(of: [value], scale: orientation == .horizontal ? yScale : xScale)
    return orientation == .horizontal ? LayerBounds(x: nil, y: range) : LayerBounds(x: range, y: nil)
  }

  func legendEntries(theme: Theme) -> [LegendEntry] {
    label.map { [LegendEntry($0, .line(color, width: width, dash: dash, marker: nil, filled: true))] } ?? []
  }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    let rect = mapping.rect
    if orientation == .horizontal, let y = mapping.pageY(value) {
      grid.markSegment(Point(rect.minX, y), Point(rect.maxX, y), weight: 0.5)
    } else if orientation == .vertical, let x = mapping.pageX(value) {
      grid.markSegment(Point(x, rect.minY), Point(x, rect.maxY), weight: 0.5)
    }
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    let rect = mapping.rect
    switch orientation {
    case .horizontal:
      guard let y = mapping.pageY(value) else {
        return SkippedValues(nonFinite: value.isFinite ? 0 : 1, nonPositive: value.isFinite ? 1 : 0)
      }
      context.canvas.strokeLine(
        from: Point(rect.minX, y), to: Point(rect.maxX, y), color: color, width: width, dash: dash)
    case .vertical:
      guard let x = mapping.pageX(value) else {
        return SkippedValues(nonFinite: value.isFinite ? 0 : 1, nonPositive: value.isFinite ? 1 : 0)
      }
      context.canvas.strokeLine(
        from: Point(x, rect.minY), to: Point(x, rect.maxY), color: color, width: width, dash: dash)
    }
    return SkippedValues()
  }
}

/// A circle in data coordinates, such as the unit circle features live on.
public struct CircleGuide: Sendable {
  /// Centre, in data units.
  public var centerX = 0.0
  public var centerY = 0.0
  /// Radius, in data units.
  public var radius = 1.0
  /// Line colour.
  public var color = Color(hex: 0x333333)
  /// Line width in points.
  public var width = 0.6
  /// Dash pattern in points; empty for solid.
  public var dash: [Double] = []

  public init(radius: Double = 1, color: Color = Color(hex: 0x333333)) {
    self.radius = radius
    self.color = color
  }
}

extension CircleGuide: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    LayerBounds(x: (centerX - radius)...(centerX + radius), y: (centerY - radius)...(centerY + radius))
  }

  func legendEntries(theme: Theme) -> [LegendEntry] { [] }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    var previous: Point?
    for step in 0...90 {
      let angle = Double(step) / 90 * 2 * Double.pi
      guard let point = mapping.point(centerX + radius * cos(angle), centerY + radius * sin(angle)) else { continue }
      if let previous { grid.markSegment(previous, point) }
      previous = point
    }
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    guard mapping.x.scale == .linear, mapping.y.scale == .linear else { throw PlotError("circle: needs linear axes") }
    let canvas = context.canvas
    canvas.newPath()
    for step in 0...360 {
      let angle = Double(step) / 360 * 2 * Double.pi
      guard let point = mapping.point(centerX + radius * cos(angle), centerY + radius * sin(angle)) else { continue }
      if step == 0 { canvas.move(to: context.snap(point)) } else { canvas.line(to: context.snap(point)) }
    }
    canvas.closePath()
    canvas.setColor(color)
    canvas.setLineWidth(width)
    canvas.setDash(dash)
    canvas.stroke()
    return SkippedValues()
  }
}

/// A short text at a data position, offset in points (for naming points on a plane).
public struct TextLabel: Sendable {
  /// Where the text is anchored, in data units.
  public var x: Double
  public var y: Double
  /// The text, set in the legend size.
  public var text: String
  /// Offset from the data position, in points (positive is right and up).
  public var offsetX = 4.0
  public var offsetY = 3.0
  /// Text colour.
  public var color = Color(hex: 0x1A1A1A)

  public init(x: Double, y: Double, text: String) {
    self.x = x
    self.y = y
    self.text = text
  }
}

extension TextLabel: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    LayerBounds(xs: [x], ys: [y], x: xScale, y: yScale)
  }

  func legendEntries(theme: Theme) -> [LegendEntry] { [] }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    guard let point = mapping.point(x, y) else { return }
    let size = 7.0
    grid.markRect(
      Rect(x: point.x + offsetX, y: point.y - offsetY - size, width: Double(text.count) * size * 0.6, height: size),
      weight: 1)
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    guard let point = mapping.point(x, y) else {
      var skipped = SkippedValues()
      skipped.count(x, y)
      return skipped
    }
    let canvas = context.canvas
    canvas.setFont(size: context.theme.legendSize)
    canvas.setColor(color)
    canvas.drawText(
      text, at: Point(point.x + offsetX, point.y - offsetY), horizontal: offsetX >= 0 ? .left : .right,
      vertical: .baseline, size: context.theme.legendSize)
    return SkippedValues()
  }
}
