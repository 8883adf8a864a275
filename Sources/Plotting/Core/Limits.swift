import Foundation

/// Axis limits from data: the extent of every layer, padded by the axis margin but
/// never past a sticky edge, and overridden by fixed limits.
enum AxisLimits {
  static func resolve(
    axis: Axis, ranges: [ClosedRange<Double>], sticky: [Double], what: String
  ) throws(PlotError) -> AxisRange {
    let isLog = axis.scale == .log
    func toAxis(_ v: Double) -> Double { isLog ? log10(v) : v }
    func fromAxis(_ v: Double) -> Double { isLog ? pow(10, v) : v }
    if let lower = axis.lower, let upper = axis.upper {
      return try checked(AxisRange(lower: lower, upper: upper, scale: axis.scale), what: what)
    }
    var low: Double
    var high: Double
    if let first = ranges.first {
      low = toAxis(ranges.dropFirst().reduce(first.lowerBound) { min($0, $1.lowerBound) })
      high = toAxis(ranges.dropFirst().reduce(first.upperBound) { max($0, $1.upperBound) })
    } else if let fixed = axis.lower ?? axis.upper, !isLog || fixed > 0 {
      low = toAxis(fixed)
      high = low
    } else {
      throw PlotError("\(what): no finite data to plot")
    }
    let span = high - low
    let pad = span > 0 ? span * axis.margin : (isLog ? 0.5 : max(abs(low) * 0.05, 0.5))
    var paddedLow = low - pad
    var paddedHigh = high + pad
    for edge in sticky where !isLog || edge > 0 {
      let value = toAxis(edge)
      if value > paddedLow && value <= low { paddedLow = value }
      if value < paddedHigh && value >= high { paddedHigh = value }
    }
    if paddedLow == paddedHigh {
      paddedLow -= 0.5
      paddedHigh += 0.5
    }
    let range = AxisRange(
      lower: axis.lower ?? fromAxis(paddedLow), upper: axis.upper ?? fromAxis(paddedHigh), scale: axis.scale)
    return try checked(range, what: what)
  }

  private static func checked(_ range: AxisRange, what: String) throws(PlotError) -> AxisRange {
    guard range.lower.isFinite, range.upper.isFinite, range.lower < range.upper else {
      throw PlotError("\(what): limits \(range.lower)...\(range.upper) are empty or not finite")
    }
    if range.scale == .log && range.lower <= 0 {
      throw PlotError("\(what): a log axis needs positive limits, got \(range.lower)")
    }
    return range
  }

  /// Widens the range of one axis so that a data unit is as long on x as on y.
  static func equalAspect(x: inout AxisRange, y: inout AxisRange, rect: Rect) {
    guard x.scale == .linear, y.scale == .linear, rect.width > 0, rect.height > 0 else { return }
    let perPointX = (x.upper - x.lower) / rect.width
    let perPointY = (y.upper - y.lower) / rect.height
    if perPointX > perPointY {
      let half = perPointX * rect.height / 2, middle = (y.lower + y.upper) / 2
      y.lower = middle - half
      y.upper = middle + half
    } else {
      let half = perPointY * rect.width / 2, middle = (x.lower + x.upper) / 2
      x.lower = middle - half
      x.upper = middle + half
    }
  }
}
