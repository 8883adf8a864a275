/// An sRGB colour with alpha, components in 0...1.
public struct Color: Sendable, Equatable {
  /// Red, 0...1.
  public var red: Double
  /// Green, 0...1.
  public var green: Double
  /// Blue, 0...1.
  public var blue: Double
  /// Opacity, 0...1.
  public var alpha: Double

  public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
    self.red = red
    self.green = green
    self.blue = blue
    self.alpha = alpha
  }

  /// A colour from a 0xRRGGBB literal.
  public init(hex: UInt32, alpha: Double = 1) {
    self.init(
      red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
      blue: Double(hex & 0xFF) / 255, alpha: alpha)
  }

  /// The same colour with another opacity.
  public func with(alpha: Double) -> Color { Color(red: red, green: green, blue: blue, alpha: alpha) }

  /// This colour mixed with white: `amount` 0 keeps it, 1 gives white. Used for
  /// lighter-to-darker sequences of one hue.
  public func lightened(_ amount: Double) -> Color {
    Color(
      red: red + (1 - red) * amount, green: green + (1 - green) * amount, blue: blue + (1 - blue) * amount,
      alpha: alpha)
  }
}

/// Colour-blind-safe categorical palettes.
public enum Palette {
  /// Okabe & Ito (2008): eight colours distinguishable under the common colour-vision
  /// deficiencies, extended by two (dark grey, dark red-purple) so ten classes stay apart.
  public static let okabeIto: [Color] = [
    Color(hex: 0x0072B2), Color(hex: 0xE69F00), Color(hex: 0x009E73), Color(hex: 0xD55E00),
    Color(hex: 0x56B4E9), Color(hex: 0xCC79A7), Color(hex: 0xF0E442), Color(hex: 0x000000),
    Color(hex: 0x7F7F7F), Color(hex: 0x882255),
  ]

  /// The colour of class `index`, cycling when there are more classes than colours.
  public static func color(_ index: Int, of palette: [Color] = okabeIto) -> Color {
    palette[((index % palette.count) + palette.count) % palette.count]
  }

  /// `count` shades of `color` from light (first) to the full colour (last), for one
  /// quantity shown at several times.
  public static func shades(of color: Color, count: Int) -> [Color] {
    guard count > 1 else { return [color] }
    return (0..<count).map { color.lightened(0.7 * Double(count - 1 - $0) / Double(count - 1)) }
  }
}
