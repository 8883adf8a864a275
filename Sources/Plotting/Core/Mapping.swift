import Foundation

/// The visible data interval of one axis and how values map onto it.
struct AxisRange: Equatable {
  var lower: Double
  var upper: Double
  var scale: AxisScale

  /// The position of `value` as a fraction of the axis (0 at `lower`); nil when the value
  /// cannot be drawn (not finite, or ≤ 0 on a log axis).
  func fraction(_ value: Double) -> Double? {
    guard value.isFinite else { return nil }
    switch scale {
    case .linear:
      return (value - lower) / (upper - lower)
    case .log:
      guard value > 0 else { return nil }
      return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
    }
  }
}

/// Maps data coordinates of one panel to page coordinates (points, y down).
struct PlotMapping {
  let rect: Rect
  let x: AxisRange
  let y: AxisRange

  func pageX(_ value: Double) -> Double? {
    x.fraction(value).map { rect.minX + $0 * rect.width }
  }

  func pageY(_ value: Double) -> Double? {
    y.fraction(value).map { rect.maxY - $0 * rect.height }
  }

  /// The page position of a data point; nil when it cannot be drawn on these axes.
  func point(_ xValue: Double, _ yValue: Double) -> Point? {
    guard let px = pageX(xValue), let py = pageY(yValue) else { return nil }
    return Point(px, py)
  }
}
