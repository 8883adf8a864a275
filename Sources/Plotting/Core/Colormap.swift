/// A sequential colour map for densities and heat maps: colours at evenly spaced stops,
/// linearly interpolated.
public struct Colormap: Sendable, Equatable {
  /// A name for messages and sidecars.
  public let name: String
  let stops: [Color]

  public init(name: String, stops: [Color]) {
    precondition(stops.count >= 2, "a colour map needs at least two stops")
    self.name = name
    self.stops = stops
  }

  /// The colour at `t` in 0...1 (clamped).
  public func color(at t: Double) -> Color {
    let clamped = t.isNaN ? 0 : min(max(t, 0), 1)
    let position = clamped * Double(stops.count - 1)
    let lower = min(Int(position), stops.count - 2)
    let fraction = position - Double(lower)
    let a = stops[lower], b = stops[lower + 1]
    return Color(
      red: a.red + (b.red - a.red) * fraction, green: a.green + (b.green - a.green) * fraction,
      blue: a.blue + (b.blue - a.blue) * fraction)
  }

  /// matplotlib's viridis (perceptually uniform, colour-blind safe), sampled at 9 stops.
  public static let viridis = Colormap(
    name: "viridis",
    stops: [0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725]
      .map { Color(hex: $0) })

  /// White to dark blue, for densities drawn on a white page (zero density stays white).
  public static let blues = Colormap(
    name: "blues",
    stops: [0xFFFFFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B]
      .map { Color(hex: $0) })
}
