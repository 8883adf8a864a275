/// One set of axes: layers drawn over two axes, a title and a legend.
public struct Panel: Sendable {
  /// Drawn above the plot area.
  public var title: String?
  /// The horizontal axis.
  public var x: Axis
  /// The vertical axis.
  public var y: Axis
  /// Drawn in order, later layers on top.
  public var layers: [Layer] = []
  /// Where the legend of the labelled layers goes.
  public var legend: LegendPlacement = .best
  /// Entries added after those of the layers (keys for line styles, for example).
  public var extraLegendEntries: [LegendEntry] = []
  /// Legend columns; nil chooses (one, or two when a single column would not fit).
  public var legendColumns: Int?
  /// One data unit is as long on x as on y (embeddings, circles); the shorter range
  /// is widened to keep the panel's shape.
  public var equalAspect = false
  /// A thin box around the plot area (for panels with hidden axes, such as embeddings).
  public var framed = false

  public init(title: String? = nil, x: Axis = Axis(), y: Axis = Axis(), layers: [Layer] = []) {
    self.title = title
    self.x = x
    self.y = y
    self.layers = layers
  }

  /// An empty grid cell: nothing is drawn there and it takes no room for labels.
  public static var blank: Panel {
    var panel = Panel(x: .hidden, y: .hidden)
    panel.isBlank = true
    return panel
  }

  /// True for `Panel.blank`.
  public private(set) var isBlank = false

  /// Adds a layer on top of the others.
  public mutating func add(_ layer: Layer) { layers.append(layer) }

  /// A line with a shaded band of ± `spread` around it (the band drawn first), cut at
  /// `range` when given.
  public mutating func addLine(_ line: Line, spread: [Double], within range: ClosedRange<Double>? = nil) {
    var line = line
    line.legendShowsBand = true
    var band = Band(x: line.x, mean: line.y, spread: spread, color: line.color)
    if let range {
      // A band of a bounded quantity (a cosine) stops at its bounds; NaN still splits it.
      func clamp(_ value: Double) -> Double { value.isNaN ? value : Swift.min(Swift.max(value, range.lowerBound), range.upperBound) }
      band.lower = band.lower.map(clamp)
      band.upper = band.upper.map(clamp)
    }
    layers.append(.band(band))
    layers.append(.line(line))
  }

  /// The legend entries of all layers, in layer order.
  func legendEntries(theme: Theme) -> [LegendEntry] {
    layers.flatMap { $0.drawing.legendEntries(theme: theme) } + extraLegendEntries
  }

  /// The heat map whose colour bar this panel shows, if any.
  var colorbarLayer: Heatmap? {
    for layer in layers {
      if case .heatmap(let heatmap) = layer, heatmap.colorbarLabel != nil { return heatmap }
    }
    return nil
  }
}
