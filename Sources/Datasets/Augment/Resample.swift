/// The filter of `Image.resized`.
public enum Interpolation: String, Sendable, CaseIterable {
  /// Triangle filter (PIL `BILINEAR`, torch `bilinear` with `antialias=True`).
  case bilinear
  /// Keys cubic with a = -0.5 (PIL `BICUBIC`, torch `bicubic` with `antialias=True`).
  case bicubic

  var support: Double {
    switch self {
    case .bilinear: 1
    case .bicubic: 2
    }
  }

  func weight(_ x: Double) -> Double {
    let x = abs(x)
    switch self {
    case .bilinear:
      return x < 1 ? 1 - x : 0
    case .bicubic:
      let a = -0.5
      if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
      if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
      return 0
    }
  }
}

/// For each output position along one axis, the first input position read and the
/// normalised weights of the inputs read from there (PIL's `precompute_coeffs`).
struct ResampleTable {
  var starts: [Int]
  var taps: Int
  /// `outSize * taps` weights; unused taps are zero.
  var weights: [Float]

  /// Resampling input positions `offset ..< offset + inSize` to `outSize` positions.
  /// When shrinking, the filter is stretched by the scale factor, which is the
  /// antialiasing of PIL and of torch's `antialias=True`.
  init(inSize: Int, outSize: Int, offset: Int, interpolation: Interpolation) {
    let scale = Double(inSize) / Double(outSize)
    let filterScale = max(scale, 1)
    let support = interpolation.support * filterScale
    taps = Int(support.rounded(.up)) * 2 + 1
    starts = [Int](repeating: 0, count: outSize)
    weights = [Float](repeating: 0, count: outSize * taps)
    for out in 0..<outSize {
      let center = (Double(out) + 0.5) * scale
      let first = max(Int(center - support + 0.5), 0)
      let count = min(Int(center + support + 0.5), inSize) - first
      var raw = [Double](repeating: 0, count: taps)
      var total = 0.0
      for k in 0..<min(count, taps) {
        raw[k] = interpolation.weight((Double(k + first) - center + 0.5) / filterScale)
        total += raw[k]
      }
      starts[out] = first + offset
      for k in 0..<taps { weights[out * taps + k] = Float(total != 0 ? raw[k] / total : 0) }
    }
  }
}

extension Image {
  /// The image resampled to `height x width` (torchvision's `F.resize` with
  /// `antialias=True`, which follows PIL: separable, horizontal pass first, the filter
  /// widened when shrinking). Computed in Float32 without PIL's rounding of the
  /// intermediate to 8 bits, so it equals torch's float result and is within about
  /// 1/255 of PIL's 8-bit result. Bicubic output is clamped to [0, 1] as PIL's 8-bit
  /// result is (torch leaves float overshoot unclamped).
  public func resized(
    height outHeight: Int, width outWidth: Int, interpolation: Interpolation = .bilinear
  ) -> Image {
    resizedCrop(
      top: 0, left: 0, height: height, width: width, outHeight: outHeight, outWidth: outWidth,
      interpolation: interpolation)
  }

  /// Crops the box (`top`, `left`, `height`, `width`) and resizes it to
  /// `outHeight x outWidth` in one pass (torchvision's `F.resized_crop`). Box parts
  /// outside the image read zeros, as a crop would.
  public func resizedCrop(
    top: Int, left: Int, height boxHeight: Int, width boxWidth: Int, outHeight: Int, outWidth: Int,
    interpolation: Interpolation = .bilinear
  ) -> Image {
    precondition(
      boxHeight > 0 && boxWidth > 0 && outHeight > 0 && outWidth > 0,
      "resize sizes must be positive")
    guard top >= 0, left >= 0, top + boxHeight <= height, left + boxWidth <= width else {
      return cropped(top: top, left: left, height: boxHeight, width: boxWidth)
        .resizedCrop(
          top: 0, left: 0, height: boxHeight, width: boxWidth, outHeight: outHeight,
          outWidth: outWidth, interpolation: interpolation)
    }
    if boxHeight == outHeight && boxWidth == outWidth {
      return top == 0 && left == 0 && boxHeight == height && boxWidth == width
        ? self : cropped(top: top, left: left, height: boxHeight, width: boxWidth)
    }
    let rows = ResampleTable(
      inSize: boxHeight, outSize: outHeight, offset: top, interpolation: interpolation)
    let columns = ResampleTable(
      inSize: boxWidth, outSize: outWidth, offset: left, interpolation: interpolation)
    let (h, w) = (height, width)
    let clamp = interpolation == .bicubic
    // Horizontal pass over the rows of the box, then vertical pass.
    var middle = [Float](repeating: 0, count: boxHeight * outWidth)
    return pixels.withUnsafeBufferPointer { source in
      columns.weights.withUnsafeBufferPointer { cw in
        rows.weights.withUnsafeBufferPointer { rw in
          Image.make(channels: channels, height: outHeight, width: outWidth) { target in
            middle.withUnsafeMutableBufferPointer { mid in
              for c in 0..<channels {
                for y in 0..<boxHeight {
                  let sourceRow = (c * h + top + y) * w
                  let midRow = y * outWidth
                  for x in 0..<outWidth {
                    let start = sourceRow + columns.starts[x]
                    let limit = min(columns.taps, w - columns.starts[x])
                    var acc: Float = 0
                    for k in 0..<limit { acc += source[start + k] * cw[x * columns.taps + k] }
                    mid[midRow + x] = acc
                  }
                }
                for y in 0..<outHeight {
                  let first = rows.starts[y] - top
                  let limit = min(rows.taps, boxHeight - first)
                  let targetRow = (c * outHeight + y) * outWidth
                  for x in 0..<outWidth { target[targetRow + x] = 0 }
                  for k in 0..<limit {
                    let weight = rw[y * rows.taps + k]
                    if weight == 0 { continue }
                    let midRow = (first + k) * outWidth
                    for x in 0..<outWidth { target[targetRow + x] += mid[midRow + x] * weight }
                  }
                  if clamp {
                    for x in 0..<outWidth {
                      target[targetRow + x] = min(max(target[targetRow + x], 0), 1)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
