/// A point on the page, in points (1/72 inch), y growing downwards as in Cairo.
public struct Point: Sendable, Equatable {
  /// Horizontal position in points.
  public var x: Double
  /// Vertical position in points, growing downwards.
  public var y: Double

  public init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
  }
}

/// An axis-aligned rectangle on the page, in points.
public struct Rect: Sendable, Equatable {
  /// Horizontal position in points.
  public var x: Double
  /// Vertical position in points, growing downwards.
  public var y: Double
  /// Width in points.
  public var width: Double
  /// Height in points.
  public var height: Double

  public init(x: Double, y: Double, width: Double, height: Double) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }

  /// Left edge.
  public var minX: Double { x }
  /// Right edge.
  public var maxX: Double { x + width }
  /// Top edge.
  public var minY: Double { y }
  /// Bottom edge.
  public var maxY: Double { y + height }
  /// Horizontal centre.
  public var midX: Double { x + width / 2 }
  /// Vertical centre.
  public var midY: Double { y + height / 2 }
}

/// Points per inch: the unit conversion between paper sizes and Cairo user space.
public let pointsPerInch = 72.0
