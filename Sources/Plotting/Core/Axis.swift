/// How data values map to positions along an axis.
public enum AxisScale: Sendable, Equatable {
  case linear
  /// Base-10 logarithmic; values ≤ 0 cannot be drawn and are skipped (and counted).
  case log
}

/// One labelled tick mark.
public struct Tick: Sendable, Equatable {
  /// Where the tick is, in data units.
  public var value: Double
  /// The text under (or beside) the tick; empty for a minor tick.
  public var label: String
  /// Major ticks are longer and carry labels and grid lines.
  public var isMajor: Bool

  public init(_ value: Double, _ label: String, isMajor: Bool = true) {
    self.value = value
    self.label = label
    self.isMajor = isMajor
  }
}

/// The settings of one axis of a panel.
public struct Axis: Sendable, Equatable {
  /// The axis label, with units (for example "ε (/255)" or "robust accuracy (%)").
  public var label: String?
  /// Linear or base-10 logarithmic.
  public var scale: AxisScale = .linear
  /// Fixed lower limit; nil takes it from the data, with a small margin.
  public var lower: Double?
  /// Fixed upper limit; nil takes it from the data, with a small margin.
  public var upper: Double?
  /// Ticks to use instead of the automatic "nice" ones (for example multiples of π).
  public var ticks: [Tick]?
  /// False hides the spine, ticks and tick labels (t-SNE axes carry no meaning).
  public var isVisible = true
  /// Grid lines at the major ticks.
  public var showsGrid = true
  /// Padding beyond the data as a fraction of the data range (matplotlib uses 0.05).
  public var margin = 0.04

  public init(
    _ label: String? = nil, scale: AxisScale = .linear, lower: Double? = nil, upper: Double? = nil,
    ticks: [Tick]? = nil
  ) {
    self.label = label
    self.scale = scale
    self.lower = lower
    self.upper = upper
    self.ticks = ticks
  }

  /// An axis with no spine, ticks or grid, for embeddings whose coordinates mean nothing.
  public static var hidden: Axis {
    var axis = Axis()
    axis.isVisible = false
    axis.showsGrid = false
    return axis
  }
}
