import Foundation

extension Image {
  /// Gaussian blur with an odd `kernelSize`-tap kernel of standard deviation `sigma`
  /// pixels, separable, reflect padding (torchvision's `F.gaussian_blur` on tensors:
  /// taps at -(k-1)/2 ... (k-1)/2, weights exp(-x²/2σ²) normalised to sum 1).
  public func blurred(kernelSize: Int, sigma: Float) -> Image {
    precondition(
      kernelSize > 0 && kernelSize % 2 == 1, "the blur kernel size must be odd and positive")
    precondition(sigma > 0, "the blur sigma must be positive")
    let kernel = Image.gaussianKernel(size: kernelSize, sigma: sigma)
    let radius = kernelSize / 2
    let (h, w) = (height, width)
    let columns = (-radius..<(w + radius)).map {
      Image.sourceIndex($0, size: w, mode: .reflect) ?? 0
    }
    let rows = (-radius..<(h + radius)).map { Image.sourceIndex($0, size: h, mode: .reflect) ?? 0 }
    var middle = [Float](repeating: 0, count: h * w)
    return pixels.withUnsafeBufferPointer { source in
      Image.make(channels: channels, height: h, width: w) { target in
        middle.withUnsafeMutableBufferPointer { mid in
          for c in 0..<channels {
            let planeStart = c * h * w
            for y in 0..<h {
              let row = planeStart + y * w
              for x in 0..<w {
                var acc: Float = 0
                for k in 0..<kernelSize { acc += source[row + columns[x + k]] * kernel[k] }
                mid[y * w + x] = acc
              }
            }
            for y in 0..<h {
              let row = planeStart + y * w
              for x in 0..<w { target[row + x] = 0 }
              for k in 0..<kernelSize {
                let weight = kernel[k]
                let midRow = rows[y + k] * w
                for x in 0..<w { target[row + x] += mid[midRow + x] * weight }
              }
            }
          }
        }
      }
    }
  }

  static func gaussianKernel(size: Int, sigma: Float) -> [Float] {
    let half = Float(size - 1) * 0.5
    let raw = (0..<size).map { k -> Float in
      // torch.linspace(-half, half, size)
      let x = size == 1 ? -half : -half + Float(k) * (2 * half / Float(size - 1))
      let z = x / sigma
      return expf(-0.5 * z * z)
    }
    let total = raw.reduce(0, +)
    return raw.map { $0 / total }
  }

  /// PIL's `ImageFilter.GaussianBlur(radius)` (MoCo v2's blur): three passes of a box
  /// blur with a fractional half-width chosen so the passes' variance is `radius`²
  /// (Gwosdek et al. 2011), horizontally then vertically, edges extended. In Float32;
  /// PIL rounds each of its six passes to 8 bits, so its result differs by up to about
  /// 3/255 (measured against Pillow 13 in the tests).
  public func pilGaussianBlurred(radius: Float) -> Image {
    precondition(radius >= 0, "the blur radius must be non-negative")
    let passes = 3
    let sigma2 = radius * radius / Float(passes)
    let length = (12 * sigma2 + 1).squareRoot()
    let whole = ((length - 1) / 2).rounded(.down)
    let fraction =
      (2 * whole + 1) * (whole * (whole + 1) - 3 * sigma2)
      / (6 * (sigma2 - (whole + 1) * (whole + 1)))
    let boxRadius = whole + fraction
    let inner = Int(boxRadius)
    let weight = 1 / (2 * boxRadius + 1)
    let farWeight = (boxRadius - Float(inner)) * weight
    var result = pixels
    let (h, w) = (height, width)
    var line = [Float](repeating: 0, count: max(h, w))
    result.withUnsafeMutableBufferPointer { image in
      line.withUnsafeMutableBufferPointer { scratch in
        // One pass over the `count` values at `start`, `start + stride`, ...
        func blurLine(start: Int, stride: Int, count: Int) {
          let last = count - 1
          for k in 0..<count { scratch[k] = image[start + k * stride] }
          for x in 0..<count {
            var acc: Float = 0
            for k in (x - inner)...(x + inner) { acc += scratch[min(max(k, 0), last)] }
            let far =
              scratch[min(max(x - inner - 1, 0), last)] + scratch[min(max(x + inner + 1, 0), last)]
            image[start + x * stride] = acc * weight + far * farWeight
          }
        }
        for c in 0..<channels {
          let plane = c * h * w
          for _ in 0..<passes {
            for y in 0..<h { blurLine(start: plane + y * w, stride: 1, count: w) }
          }
          for _ in 0..<passes {
            for x in 0..<w { blurLine(start: plane + x, stride: w, count: h) }
          }
        }
      }
    }
    return Image(channels: channels, height: h, width: w, pixels: result)
  }
}
