/// Counts of values in bins, as the histograms of the figures use them.
public struct Histogram: Sendable, Equatable {
  /// Bin edges, increasing; one more than `counts`.
  public var edges: [Double]
  /// How many values fell in each bin.
  public var counts: [Double]
  /// Values that were NaN or infinite, skipped.
  public var skipped: Int

  public init(edges: [Double], counts: [Double], skipped: Int = 0) {
    self.edges = edges
    self.counts = counts
    self.skipped = skipped
  }

  /// `bins` equal bins over `range` (values outside it are left out, the upper edge is
  /// included, as in NumPy).
  public init(_ values: [Double], bins: Int, range: ClosedRange<Double>) {
    precondition(bins > 0, "a histogram needs at least one bin")
    let width = (range.upperBound - range.lowerBound) / Double(bins)
    edges = (0...bins).map { range.lowerBound + Double($0) * width }
    edges[bins] = range.upperBound
    counts = Array(repeating: 0, count: bins)
    skipped = 0
    for value in values {
      guard value.isFinite else {
        skipped += 1
        continue
      }
      guard value >= range.lowerBound, value <= range.upperBound else { continue }
      let bin = min(Int((value - range.lowerBound) / width), bins - 1)
      counts[bin] += 1
    }
  }

  /// The counts scaled so that the bars' area is one (a probability density).
  public var density: [Double] {
    let total = counts.reduce(0, +)
    guard total > 0 else { return counts }
    return counts.indices.map { counts[$0] / (total * (edges[$0 + 1] - edges[$0])) }
  }
}
