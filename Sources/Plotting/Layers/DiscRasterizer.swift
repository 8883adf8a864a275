/// Draws anti-aliased filled discs straight into an ARGB32 pixel buffer: the fast path
/// for scatters of tens of thousands of points (one alpha blend per covered pixel, in
/// data order, so overlapping points darken as they do in matplotlib).
struct DiscRasterizer {
  /// A premultiplied colour, channels in 0...255.
  private struct Premultiplied {
    var a: Float
    var r: Float
    var g: Float
    var b: Float
  }

  /// One colour per colour index.
  private let colors: [Premultiplied]
  private let radius: Float
  /// Alpha scale for discs smaller than a pixel (drawn at radius 0.5 with less ink).
  private let alphaScale: Float

  /// `radius` in pixels; each colour's alpha is multiplied by `alpha`.
  init(colors: [Color], alpha: Double, radius: Double) {
    let minimum = 0.5
    self.radius = Float(max(radius, minimum))
    alphaScale = radius < minimum ? Float((radius / minimum) * (radius / minimum)) : 1
    self.colors = colors.map { color in
      let a = Float(color.alpha * alpha)
      return Premultiplied(
        a: a * 255, r: Float(color.red) * a * 255, g: Float(color.green) * a * 255, b: Float(color.blue) * a * 255)
    }
  }

  /// Draws discs centred at (`xs[i]`, `ys[i]`) in pixel coordinates, colour
  /// `colorIndex[i]`, clipped to pixel columns `clipX` and rows `clipY`.
  func draw(
    xs: [Float], ys: [Float], colorIndex: [Int32], into pixels: ImagePixels, clipX: Range<Int>, clipY: Range<Int>
  ) {
    let clipX = max(clipX.lowerBound, 0)..<min(clipX.upperBound, pixels.width)
    let clipY = max(clipY.lowerBound, 0)..<min(clipY.upperBound, pixels.height)
    guard !clipX.isEmpty, !clipY.isEmpty else { return }
    let reach = radius + 0.5
    let base = pixels.base
    let stride = pixels.stride
    colors.withUnsafeBufferPointer { palette in
      for i in 0..<xs.count {
        let cx = xs[i], cy = ys[i]
        let x0 = max(clipX.lowerBound, Int((cx - reach).rounded(.down)))
        let x1 = min(clipX.upperBound - 1, Int((cx + reach).rounded(.up)))
        let y0 = max(clipY.lowerBound, Int((cy - reach).rounded(.down)))
        let y1 = min(clipY.upperBound - 1, Int((cy + reach).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { continue }
        let color = palette[Int(colorIndex[i])]
        let alpha = color.a / 255 * alphaScale
        let source = Premultiplied(
          a: color.a * alphaScale, r: color.r * alphaScale, g: color.g * alphaScale, b: color.b * alphaScale)
        for y in y0...y1 {
          let dy = Float(y) + 0.5 - cy
          let row = base + y * stride
          for x in x0...x1 {
            let dx = Float(x) + 0.5 - cx
            var coverage = reach - (dx * dx + dy * dy).squareRoot()
            if coverage <= 0 { continue }
            if coverage > 1 { coverage = 1 }
            let keep = 1 - alpha * coverage
            let pixel = row[x]
            let a = source.a * coverage + Float(pixel >> 24) * keep + 0.5
            let r = source.r * coverage + Float((pixel >> 16) & 0xFF) * keep + 0.5
            let g = source.g * coverage + Float((pixel >> 8) & 0xFF) * keep + 0.5
            let b = source.b * coverage + Float(pixel & 0xFF) * keep + 0.5
            row[x] = UInt32(a) << 24 | UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
          }
        }
      }
    }
  }
}
