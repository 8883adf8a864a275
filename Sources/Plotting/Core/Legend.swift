/// Where a panel's legend goes.
public enum LegendPlacement: Sendable, Equatable {
  /// No legend.
  case none
  /// The inside corner (or edge middle) that covers the least data; outside on the
  /// right when every candidate would cover some.
  case best
  /// The inside corner (or edge middle) that covers the least data, even if some.
  case inside
  /// Outside, to the right of the panel.
  case outside
  case upperLeft, upperRight, lowerLeft, lowerRight
}

/// A legend shared by all panels of a figure (the same classes or runs in each).
public struct FigureLegend: Sendable {
  /// Where the shared legend sits.
  public enum Position: Sendable { case bottom, right }

  /// The entries, in order.
  public var entries: [LegendEntry]
  /// Below or to the right of the panels.
  public var position: Position
  /// Column count; nil fits as many as the width allows (bottom) or one (right).
  public var columns: Int?

  public init(entries: [LegendEntry], position: Position = .bottom, columns: Int? = nil) {
    self.entries = entries
    self.position = position
    self.columns = columns
  }
}

/// The measured layout of one legend box: entries in columns, filled top to bottom.
struct LegendBox {
  let entries: [LegendEntry]
  let columns: Int
  let rowsPerColumn: Int
  let columnWidths: [Double]
  let fontSize: Double
  let width: Double
  let height: Double

  static let padding = 3.0
  static let handleWidth = 13.0
  static let handleGap = 4.0
  static let columnGap = 8.0

  var rowHeight: Double { fontSize * 1.35 }

  /// Measures `entries` in `columns` columns; labels wider than `maxLabelWidth` points
  /// (long run-directory names) are shortened in the middle, so a legend never squeezes
  /// the panels out of the figure.
  init(entries: [LegendEntry], columns requested: Int, fontSize: Double, maxLabelWidth: Double, canvas: Canvas) {
    canvas.setFont(size: fontSize)
    self.entries = LegendBox.shortenedDistinctly(entries, to: maxLabelWidth, canvas: canvas)
    self.fontSize = fontSize
    columns = max(1, min(requested, entries.count))
    rowsPerColumn = (entries.count + columns - 1) / columns
    var widths = [Double](repeating: 0, count: columns)
    for (index, entry) in self.entries.enumerated() {
      let column = index / rowsPerColumn
      widths[column] = max(
        widths[column], LegendBox.handleWidth + LegendBox.handleGap + canvas.textWidth(entry.label))
    }
    columnWidths = widths
    width = widths.reduce(0, +) + Double(columns - 1) * LegendBox.columnGap + 2 * LegendBox.padding
    height = Double(rowsPerColumn) * fontSize * 1.35 + 2 * LegendBox.padding - fontSize * 0.35
  }

  /// Every entry shortened to `maxWidth`, except that entries whose different labels
  /// would shorten to the same text (run names that differ only in the middle) keep more
  /// of their labels, 25 % more width at a time, until they read differently.
  static func shortenedDistinctly(_ entries: [LegendEntry], to maxWidth: Double, canvas: Canvas) -> [LegendEntry] {
    func shortened(_ entry: LegendEntry, to width: Double) -> LegendEntry {
      var entry = entry
      entry.label = canvas.textShortened(entry.label, to: width)
      return entry
    }
    var widths = [Double](repeating: maxWidth, count: entries.count)
    var result = entries.map { shortened($0, to: maxWidth) }
    while true {
      let byText = Dictionary(grouping: result.indices, by: { result[$0].label })
      let clashing = byText.values.filter { Set($0.map { entries[$0].label }).count > 1 }.flatMap { $0 }
      guard !clashing.isEmpty else { return result }
      for index in clashing {
        widths[index] *= 1.25
        result[index] = shortened(entries[index], to: widths[index])
      }
    }
  }

  /// The most columns whose box fits in `width` points (at least one).
  static func columnsFitting(
    width: Double, entries: [LegendEntry], fontSize: Double, maxLabelWidth: Double, canvas: Canvas
  ) -> Int {
    var columns = entries.count
    while columns > 1 {
      let box = LegendBox(
        entries: entries, columns: columns, fontSize: fontSize, maxLabelWidth: maxLabelWidth, canvas: canvas)
      if box.width <= width { break }
      columns -= 1
    }
    return max(columns, 1)
  }

  /// Draws the box with its top-left corner at `origin`; `background` lays a translucent
  /// white box under it so an inside legend stays readable.
  func draw(at origin: Point, canvas: Canvas, theme: Theme, background: Bool) {
    let box = Rect(x: origin.x, y: origin.y, width: width, height: height)
    if background { canvas.fill(box, theme.background.with(alpha: 0.85)) }
    var x = origin.x + LegendBox.padding
    for column in 0..<columns {
      for row in 0..<rowsPerColumn {
        let index = column * rowsPerColumn + row
        guard index < entries.count else { break }
        let centerY = origin.y + LegendBox.padding + (Double(row) + 0.5) * rowHeight - fontSize * 0.175
        drawSymbol(entries[index].symbol, x: x, centerY: centerY, canvas: canvas)
        canvas.setFont(size: fontSize)
        canvas.setColor(theme.textColor)
        canvas.drawText(
          entries[index].label, at: Point(x + LegendBox.handleWidth + LegendBox.handleGap, centerY),
          horizontal: .left, vertical: .center, size: fontSize)
      }
      x += columnWidths[column] + LegendBox.columnGap
    }
  }

  private func drawSymbol(_ symbol: LegendSymbol, x: Double, centerY: Double, canvas: Canvas) {
    let w = LegendBox.handleWidth
    let middle = Point(x + w / 2, centerY)
    switch symbol {
    case .marker(let color, let shape):
      shape.draw(
        on: canvas, center: middle, size: fontSize * 0.8, color: color.with(alpha: 1), filled: true, edgeWidth: 0)
    case .line(let color, let width, let dash, let marker, let filled):
      canvas.strokeLine(from: Point(x, centerY), to: Point(x + w, centerY), color: color, width: width, dash: dash)
      marker?.draw(
        on: canvas, center: middle, size: fontSize * 0.6, color: color, filled: filled, edgeWidth: width * 0.8)
    case .patch(let color):
      canvas.fill(Rect(x: x + 1, y: centerY - fontSize * 0.35, width: w - 2, height: fontSize * 0.7), color)
    case .lineWithBand(let color, let width, let dash):
      canvas.fill(Rect(x: x, y: centerY - fontSize * 0.35, width: w, height: fontSize * 0.7), color.with(alpha: 0.25))
      canvas.strokeLine(from: Point(x, centerY), to: Point(x + w, centerY), color: color, width: width, dash: dash)
    case .linePair(let first, let second, let width):
      canvas.strokeLine(from: Point(x, centerY), to: Point(x + w / 2 - 0.75, centerY), color: first, width: width)
      canvas.strokeLine(from: Point(x + w / 2 + 0.75, centerY), to: Point(x + w, centerY), color: second, width: width)
    }
  }
}
