import Foundation

extension Image {
  /// Gaussian blur with an odd `kernelSize`-tap kernel of standard deviation `sigma`
  /// pixels, separable, reflect padding (torchvision's `F.gaussian_blur` on tensors:
  /// taps at -(k-1)/2 ... (k-1)/2, weights exp(-x²/2σ²) normalised to sum 1).
  public func blurred(kernelSize: Int, sigma: Float) -> Image {
    precondition(kernelSize > 0 && kernelSize % 2 == 1, "the blur kernel size must be odd and positive")
    precondition(sigma > 0, "the blur sigma must be positive")
    let kernel = Image.gaussianKernel(size: kernelSize, sigma: sigma)
    let radius = kernelSize / 2
    let (h, w) = (height, width)
    let columns = (-radius..<(w + radius)).map { Image.sourceIndex($0, size: w, mode: .reflect) ?? 0 }
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
}
