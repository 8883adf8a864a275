import Foundation

/// How `Image.padded` fills the new border.
public enum PaddingMode: Sendable, Equatable {
  /// A constant value (torchvision's `padding_mode="constant"`, `fill`).
  case constant(Float)
  /// Mirror without repeating the edge pixel (`"reflect"`: d c b | a b c d | c b a).
  case reflect
  /// Repeat the edge pixel (`"edge"`).
  case edge
}

extension Image {
  /// The `height x width` window whose top-left corner is at (`top`, `left`); parts of
  /// the window outside the image are zero (torchvision's `F.crop`).
  public func cropped(top: Int, left: Int, height outHeight: Int, width outWidth: Int) -> Image {
    precondition(outHeight > 0 && outWidth > 0, "crop size must be positive")
    let (h, w) = (height, width)
    return pixels.withUnsafeBufferPointer { source in
      Image.make(channels: channels, height: outHeight, width: outWidth) { target in
        let x0 = max(0, -left)
        let x1 = min(outWidth, w - left)
        for c in 0..<channels {
          for y in 0..<outHeight {
            let row = (c * outHeight + y) * outWidth
            let sy = top + y
            guard sy >= 0, sy < h, x0 < x1 else {
              for x in 0..<outWidth { target[row + x] = 0 }
              continue
            }
            for x in 0..<x0 { target[row + x] = 0 }
            let sourceRow = (c * h + sy) * w + left
            for x in x0..<x1 { target[row + x] = source[sourceRow + x] }
            for x in max(x1, x0)..<outWidth { target[row + x] = 0 }
          }
        }
      }
    }
  }

  /// The image with a border of the given widths added (torchvision's `F.pad`).
  public func padded(left: Int, top: Int, right: Int, bottom: Int, mode: PaddingMode = .constant(0))
    -> Image
  {
    precondition(left >= 0 && top >= 0 && right >= 0 && bottom >= 0, "padding must be non-negative")
    let (h, w) = (height, width)
    let outHeight = h + top + bottom
    let outWidth = w + left + right
    let rowIndex = (0..<outHeight).map { Image.sourceIndex($0 - top, size: h, mode: mode) }
    let columnIndex = (0..<outWidth).map { Image.sourceIndex($0 - left, size: w, mode: mode) }
    let fill: Float = if case .constant(let value) = mode { value } else { 0 }
    return pixels.withUnsafeBufferPointer { source in
      Image.make(channels: channels, height: outHeight, width: outWidth) { target in
        for c in 0..<channels {
          for y in 0..<outHeight {
            let row = (c * outHeight + y) * outWidth
            guard let sy = rowIndex[y] else {
              for x in 0..<outWidth { target[row + x] = fill }
              continue
            }
            let sourceRow = (c * h + sy) * w
            for x in 0..<outWidth {
              target[row + x] = columnIndex[x].map { source[sourceRow + $0] } ?? fill
            }
          }
        }
      }
    }
  }

  /// The source row/column read for padded position `i`, or nil for the constant fill.
  /// Reflection repeats as often as needed, so a border wider than the image (which
  /// torch's reflect padding refuses) still has a defined value.
  static func sourceIndex(_ i: Int, size: Int, mode: PaddingMode) -> Int? {
    if i >= 0 && i < size { return i }
    switch mode {
    case .constant:
      return nil
    case .edge:
      return min(max(i, 0), size - 1)
    case .reflect:
      if size == 1 { return 0 }
      let period = 2 * (size - 1)
      var k = i % period
      if k < 0 { k += period }
      return k < size ? k : period - k
    }
  }

  /// The image mirrored left to right (torchvision's `F.hflip`).
  public func flippedHorizontally() -> Image {
    let w = width
    return pixels.withUnsafeBufferPointer { source in
      Image.make(channels: channels, height: height, width: width) { target in
        for row in 0..<(channels * height) {
          let base = row * w
          for x in 0..<w { target[base + x] = source[base + w - 1 - x] }
        }
      }
    }
  }

  /// The central `height x width` window (torchvision's `F.center_crop`): the offset is
  /// `round((H - h) / 2)` with Python's round-half-to-even, and a window larger than
  /// the image is zero-padded first, (excess // 2) on the top/left.
  public func centerCropped(height cropHeight: Int, width cropWidth: Int) -> Image {
    var image = self
    if cropHeight > height || cropWidth > width {
      let padX = max(0, cropWidth - width)
      let padY = max(0, cropHeight - height)
      image = padded(left: padX / 2, top: padY / 2, right: (padX + 1) / 2, bottom: (padY + 1) / 2)
      if image.height == cropHeight && image.width == cropWidth { return image }
    }
    let top = Int((Double(image.height - cropHeight) / 2).rounded(.toNearestOrEven))
    let left = Int((Double(image.width - cropWidth) / 2).rounded(.toNearestOrEven))
    return image.cropped(top: top, left: left, height: cropHeight, width: cropWidth)
  }

  /// The image rotated by `degrees` counter-clockwise about its centre, same size,
  /// nearest-neighbour, `fill` outside (torchvision's `F.rotate` on tensors with
  /// `InterpolationMode.NEAREST`, `expand=False`).
  public func rotated(degrees: Double, fill: Float = 0) -> Image {
    // torchvision's inverse affine matrix for a rotation by -angle about the centre,
    // evaluated on pixel centres and sampled like grid_sample(align_corners=False).
    let radians = Float(-degrees * Double.pi / 180)
    let (cosine, sine) = (cos(radians), sin(radians))
    let (h, w) = (height, width)
    let halfWidth = Float(w) * 0.5
    let halfHeight = Float(h) * 0.5
    return pixels.withUnsafeBufferPointer { source in
      Image.make(channels: channels, height: h, width: w) { target in
        for y in 0..<h {
          let yc = Float(y) - halfHeight + 0.5
          for x in 0..<w {
            let xc = Float(x) - halfWidth + 0.5
            let sx = (cosine * xc + sine * yc) + halfWidth - 0.5
            let sy = (-sine * xc + cosine * yc) + halfHeight - 0.5
            let ix = Int(sx.rounded(.toNearestOrEven))
            let iy = Int(sy.rounded(.toNearestOrEven))
            let inside = ix >= 0 && ix < w && iy >= 0 && iy < h
            for c in 0..<channels {
              target[(c * h + y) * w + x] = inside ? source[(c * h + iy) * w + ix] : fill
            }
          }
        }
      }
    }
  }
}
