import Engine

/// Draws anti-aliased filled discs straight into an ARGB32 pixel buffer: the fast path
/// for scatters of tens of thousands of points. Each covered pixel gets one alpha blend,
/// in data order, so overlapping points darken as they do in matplotlib.
///
/// Coverage is quantised to `levels` steps and looked up by squared distance. The blend
/// is integer arithmetic in 16.16 fixed point, two channels per 64-bit multiply, rounded
/// to nearest; with the source and the kept fraction both rounded down their sum cannot
/// pass 255, so no channel overflows into its neighbour.
struct DiscRasterizer {
  private static let levels = 32
  /// Table steps per unit of squared pixel distance.
  private static let distanceSteps: Float = 16

  /// Per colour and coverage level: the premultiplied blue and red (and green and
  /// alpha) of the source in 16.16 fixed point, in the low and high 32-bit lanes.
  private let blueRed: [UInt64]
  private let greenAlpha: [UInt64]
  /// Per colour and coverage level: how much of the destination stays, out of 65536.
  private let keeps: [UInt64]
  /// Coverage level by squared distance from the centre (× `distanceSteps`).
  private let levelBySquaredDistance: [UInt8]
  private let reach: Float

  /// `radius` in pixels; each colour's alpha is multiplied by `alpha`.
  init(colors: [Color], alpha: Double, radius: Double) {
    // Discs smaller than a pixel are drawn at radius 0.5 with proportionally less ink.
    let minimum = 0.5
    let drawn = max(radius, minimum)
    let inkScale = radius < minimum ? (radius / minimum) * (radius / minimum) : 1
    reach = Float(drawn + 0.5)
    let levels = DiscRasterizer.levels
    var blueRed = [UInt64](), greenAlpha = [UInt64](), keeps = [UInt64]()
    for color in colors {
      let a = color.alpha * alpha * inkScale
      for level in 0...levels {
        let ink = a * Double(level) / Double(levels)
        func fixed(_ channel: Double) -> UInt64 { UInt64((channel * ink * 255 * 65536).rounded(.down)) }
        blueRed.append(fixed(color.blue) | fixed(color.red) << 32)
        greenAlpha.append(fixed(color.green) | fixed(1) << 32)
        keeps.append(UInt64(((1 - ink) * 65536).rounded(.down)))
      }
    }
    self.blueRed = blueRed
    self.greenAlpha = greenAlpha
    self.keeps = keeps
    let entries = Int((reach * reach * DiscRasterizer.distanceSteps).rounded(.up)) + 1
    levelBySquaredDistance = (0..<entries).map { entry in
      let distance = (Float(entry) / DiscRasterizer.distanceSteps).squareRoot()
      let coverage = min(max(Float(drawn) + 0.5 - distance, 0), 1)
      return UInt8((coverage * Float(levels)).rounded())
    }
  }

  /// Draws discs centred at (`xs[i]`, `ys[i]`) in pixel coordinates, colour
  /// `colorIndex[i]`, clipped to pixel columns `clipX` and rows `clipY`. Threads take
  /// bands of rows and go through all points in order, so every pixel sees the same
  /// blends in the same order whatever the thread count.
  func draw(
    xs: [Float], ys: [Float], colorIndex: [Int32], into pixels: ImagePixels, clipX: Range<Int>, clipY: Range<Int>,
    threads: ThreadCount
  ) {
    let clipX = max(clipX.lowerBound, 0)..<min(clipX.upperBound, pixels.width)
    let clipY = max(clipY.lowerBound, 0)..<min(clipY.upperBound, pixels.height)
    guard !clipX.isEmpty, !clipY.isEmpty else { return }
    let bands = evenRanges(clipY.count, parts: threads.value).map {
      ($0.lowerBound + clipY.lowerBound)..<($0.upperBound + clipY.lowerBound)
    }
    parallelFor(chunks: bands.count, threads: threads) { band in
      drawBand(xs: xs, ys: ys, colorIndex: colorIndex, into: pixels, clipX: clipX, clipY: bands[band])
    }
  }

  private func drawBand(
    xs: [Float], ys: [Float], colorIndex: [Int32], into pixels: ImagePixels, clipX: Range<Int>, clipY: Range<Int>
  ) {
    let base = pixels.base, stride = pixels.stride
    let reach = self.reach
    let steps = DiscRasterizer.distanceSteps
    let levelCount = DiscRasterizer.levels + 1
    let half: UInt64 = 0x0000_8000_0000_8000
    blueRed.withUnsafeBufferPointer { blueRed in
      greenAlpha.withUnsafeBufferPointer { greenAlpha in
        keeps.withUnsafeBufferPointer { keeps in
          levelBySquaredDistance.withUnsafeBufferPointer { table in
            for i in 0..<xs.count {
              let cx = xs[i], cy = ys[i]
              let x0 = max(clipX.lowerBound, Int((cx - reach).rounded(.down)))
              let x1 = min(clipX.upperBound - 1, Int((cx + reach).rounded(.up)))
              let y0 = max(clipY.lowerBound, Int((cy - reach).rounded(.down)))
              let y1 = min(clipY.upperBound - 1, Int((cy + reach).rounded(.up)))
              guard x0 <= x1, y0 <= y1 else { continue }
              let offset = Int(colorIndex[i]) * levelCount
              for y in y0...y1 {
                let dy = Float(y) + 0.5 - cy
                let dy2 = dy * dy
                let row = base + y * stride
                for x in x0...x1 {
                  let dx = Float(x) + 0.5 - cx
                  let entry = Int((dx * dx + dy2) * steps)
                  guard entry < table.count else { continue }
                  let level = Int(table[entry])
                  if level == 0 { continue }
                  let keep = keeps[offset + level]
                  let pixel = row[x]
                  let br = UInt64(pixel & 0xFF) | UInt64((pixel >> 16) & 0xFF) << 32
                  let ga = UInt64((pixel >> 8) & 0xFF) | UInt64(pixel >> 24) << 32
                  let outBR = ((br &* keep &+ blueRed[offset + level] &+ half) >> 16) & 0x0000_00FF_0000_00FF
                  let outGA = ((ga &* keep &+ greenAlpha[offset + level] &+ half) >> 16) & 0x0000_00FF_0000_00FF
                  let packedBR = UInt32(truncatingIfNeeded: outBR | outBR >> 16)
                  let packedGA = UInt32(truncatingIfNeeded: outGA | outGA >> 16)
                  row[x] = (packedBR & 0x00FF_00FF) | (packedGA & 0x00FF_00FF) << 8
                }
              }
            }
          }
        }
      }
    }
  }
}
