/// Marker shapes for line plots; with colours they give a second channel that survives
/// greyscale printing.
public enum MarkerShape: Sendable, Equatable, CaseIterable {
  case circle, square, triangle, diamond, invertedTriangle

  /// The shape for series `index`, cycling.
  public static func cycle(_ index: Int) -> MarkerShape {
    allCases[((index % allCases.count) + allCases.count) % allCases.count]
  }

  /// Adds the outline of this marker, `size` points across, centred on `center`.
  func addPath(on canvas: Canvas, center: Point, size: Double) {
    let r = size / 2
    switch self {
    case .circle:
      canvas.addCircle(center: center, radius: r)
    case .square:
      let s = r * 0.886  // same area as the circle
      canvas.addRect(Rect(x: center.x - s, y: center.y - s, width: 2 * s, height: 2 * s))
    case .triangle, .invertedTriangle:
      let s = r * 1.2
      let flip = self == .triangle ? 1.0 : -1.0
      canvas.move(to: Point(center.x, center.y - flip * s))
      canvas.line(to: Point(center.x + s * 0.866, center.y + flip * s * 0.5))
      canvas.line(to: Point(center.x - s * 0.866, center.y + flip * s * 0.5))
      canvas.closePath()
    case .diamond:
      let s = r * 1.15
      canvas.move(to: Point(center.x, center.y - s))
      canvas.line(to: Point(center.x + s * 0.75, center.y))
      canvas.line(to: Point(center.x, center.y + s))
      canvas.line(to: Point(center.x - s * 0.75, center.y))
      canvas.closePath()
    }
  }

  /// Draws the marker filled with `color` (or hollow with a white inside).
  func draw(on canvas: Canvas, center: Point, size: Double, color: Color, filled: Bool, edgeWidth: Double) {
    canvas.newPath()
    addPath(on: canvas, center: center, size: size)
    canvas.setColor(filled ? color : Color(hex: 0xFFFFFF))
    canvas.fillPreserve()
    canvas.setColor(filled ? Color(hex: 0xFFFFFF, alpha: 0.9) : color)
    canvas.setLineWidth(filled ? edgeWidth * 0.6 : edgeWidth)
    canvas.setDash([])
    canvas.stroke()
  }
}

/// Line dash patterns (in points) that stay apart in greyscale, cycled like markers.
public enum DashPattern {
  /// No dashes.
  public static let solid: [Double] = []
  /// 4 pt on, 2 pt off.
  public static let dashed: [Double] = [4, 2]
  /// 1 pt on, 1.5 pt off.
  public static let dotted: [Double] = [1, 1.5]
  /// A dash, then a dot.
  public static let dashDot: [Double] = [5, 1.5, 1, 1.5]

  /// The pattern for series `index`, cycling.
  public static func cycle(_ index: Int) -> [Double] {
    let all = [solid, dashed, dotted, dashDot]
    return all[((index % all.count) + all.count) % all.count]
  }
}
