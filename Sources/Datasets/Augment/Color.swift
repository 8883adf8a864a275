import Foundation

/// Colour adjustments with torchvision's semantics on float tensors
/// (`torchvision.transforms.functional` on images in [0, 1]): each blends the image with
/// a reference image by a factor and clamps to [0, 1]. Greyscale images are handled as
/// torchvision handles 1-channel tensors: saturation and hue leave them unchanged.
extension Image {
  /// `clamp(factor * image)`: factor 0 gives black, 1 the original.
  public func adjustingBrightness(_ factor: Float) -> Image {
    map { min(max(factor * $0, 0), 1) }
  }

  /// Blends with the mean grey level of the whole image (the mean of its luminance for
  /// RGB): factor 0 gives a uniform grey image, 1 the original.
  public func adjustingContrast(_ factor: Float) -> Image {
    let mean: Float
    if channels == 3 {
      mean = pixels.withUnsafeBufferPointer { p in
        let plane = planeSize
        var sum: Float = 0
        for k in 0..<plane { sum += Image.luminance(p[k], p[plane + k], p[2 * plane + k]) }
        return sum / Float(plane)
      }
    } else {
      mean = pixels.reduce(0, +) / Float(pixels.count)
    }
    let offset = (1 - factor) * mean
    return map { min(max(factor * $0 + offset, 0), 1) }
  }

  /// Blends with the image's own greyscale version: factor 0 gives grey, 1 the original,
  /// 2 doubles the saturation.
  public func adjustingSaturation(_ factor: Float) -> Image {
    guard channels == 3 else { return self }
    let plane = planeSize
    return pixels.withUnsafeBufferPointer { p in
      Image.make(channels: 3, height: height, width: width) { target in
        let keep = 1 - factor
        for k in 0..<plane {
          let grey = keep * Image.luminance(p[k], p[plane + k], p[2 * plane + k])
          for c in 0..<3 {
            target[c * plane + k] = min(max(factor * p[c * plane + k] + grey, 0), 1)
          }
        }
      }
    }
  }

  /// Rotates the hue by `shift` turns (in [-0.5, 0.5]) through HSV, as torchvision's
  /// `_rgb2hsv` / `_hsv2rgb` do.
  public func adjustingHue(_ shift: Float) -> Image {
    precondition(shift >= -0.5 && shift <= 0.5, "hue shift must lie in [-0.5, 0.5]")
    guard channels == 3 else { return self }
    let plane = planeSize
    return pixels.withUnsafeBufferPointer { p in
      Image.make(channels: 3, height: height, width: width) { target in
        for k in 0..<plane {
          let (r, g, b) = (p[k], p[plane + k], p[2 * plane + k])
          let maxc = max(r, g, b)
          let minc = min(r, g, b)
          let equal = maxc == minc
          let range = maxc - minc
          let s = range / (equal ? 1 : maxc)
          let divisor = equal ? 1 : range
          let rc = (maxc - r) / divisor
          let gc = (maxc - g) / divisor
          let bc = (maxc - b) / divisor
          var h: Float
          if maxc == r {
            h = bc - gc
          } else if maxc == g {
            h = 2 + rc - bc
          } else {
            h = 4 + gc - rc
          }
          // fmod(h / 6 + 1, 1); the argument lies in [5/6, 11/6), where this is exact.
          h = h / 6 + 1
          h -= floorf(h)
          // (h + shift) % 1 with Python's sign convention.
          h += shift
          h -= floorf(h)
          let v = maxc
          let sector = floorf(h * 6)
          let f = h * 6 - sector
          let pp = min(max(v * (1 - s), 0), 1)
          let q = min(max(v * (1 - s * f), 0), 1)
          let t = min(max(v * (1 - s * (1 - f)), 0), 1)
          var i = Int(sector) % 6
          if i < 0 { i += 6 }
          let rgb: (Float, Float, Float) =
            switch i {
            case 0: (v, t, pp)
            case 1: (q, v, pp)
            case 2: (pp, v, t)
            case 3: (pp, q, v)
            case 4: (t, pp, v)
            default: (v, pp, q)
            }
          target[k] = rgb.0
          target[plane + k] = rgb.1
          target[2 * plane + k] = rgb.2
        }
      }
    }
  }

  /// The luminance `0.2989 R + 0.587 G + 0.114 B` (torchvision's `rgb_to_grayscale`)
  /// in `outputChannels` (1 or 3) identical planes; a greyscale image is copied.
  public func grayscaled(outputChannels: Int) -> Image {
    precondition(outputChannels == 1 || outputChannels == 3, "grayscale output has 1 or 3 channels")
    let plane = planeSize
    return pixels.withUnsafeBufferPointer { p in
      Image.make(channels: outputChannels, height: height, width: width) { target in
        for k in 0..<plane {
          let grey = channels == 3 ? Image.luminance(p[k], p[plane + k], p[2 * plane + k]) : p[k]
          for c in 0..<outputChannels { target[c * plane + k] = grey }
        }
      }
    }
  }

  /// `(x - mean[c]) / std[c]` per channel (torchvision's `Normalize`).
  public func normalized(mean: [Float], std: [Float]) -> Image {
    precondition(
      mean.count == channels && std.count == channels,
      "normalize needs one mean and std per channel")
    let plane = planeSize
    return pixels.withUnsafeBufferPointer { p in
      Image.make(channels: channels, height: height, width: width) { target in
        for c in 0..<channels {
          let scale = 1 / std[c]
          let shift = mean[c]
          for k in c * plane..<(c + 1) * plane { target[k] = (p[k] - shift) * scale }
        }
      }
    }
  }

  static func luminance(_ r: Float, _ g: Float, _ b: Float) -> Float {
    0.2989 * r + 0.587 * g + 0.114 * b
  }

  /// Applies `transform` to every value.
  func map(_ transform: (Float) -> Float) -> Image {
    pixels.withUnsafeBufferPointer { p in
      Image.make(channels: channels, height: height, width: width) { target in
        for k in 0..<p.count { target[k] = transform(p[k]) }
      }
    }
  }
}
