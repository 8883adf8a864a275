import Engine
import Foundation

/// A (possibly random) image transform, the counterpart of a torchvision transform.
///
/// Random transforms draw their parameters from the generator they are given and then
/// apply a deterministic operation. Each also exposes the two halves separately
/// (`sample...` and `apply`), so a test can fix the parameters and compare the
/// operation with torchvision's functional API.
public protocol ImageTransform: Sendable {
  /// Transforms `image`, drawing any random parameters from `rng`.
  func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image
}

/// Applies transforms one after another (torchvision's `Compose`).
public struct Compose: ImageTransform {
  /// The transforms, in the order they run.
  public var transforms: [any ImageTransform]

  /// Runs `transforms` in order.
  public init(_ transforms: [any ImageTransform]) { self.transforms = transforms }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    var result = image
    for transform in transforms { result = transform(result, using: &rng) }
    return result
  }
}

/// Applies its transforms with probability `probability`, else leaves the image as it
/// is (torchvision's `RandomApply`).
public struct RandomApply: ImageTransform {
  /// The chance of applying `transforms`.
  public var probability: Double
  /// What is applied, in order.
  public var transforms: Compose

  /// Applies `transforms` with `probability` in [0, 1].
  public init(probability: Double, _ transforms: [any ImageTransform]) {
    precondition(probability >= 0 && probability <= 1, "RandomApply probability must lie in [0, 1]")
    self.probability = probability
    self.transforms = Compose(transforms)
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    rng.uniform() < probability ? transforms(image, using: &rng) : image
  }
}

/// A crop window: top-left corner and size, in pixels.
public struct CropBox: Sendable, Equatable {
  /// The first row.
  public var top: Int
  /// The first column.
  public var left: Int
  /// Rows in the window.
  public var height: Int
  /// Columns in the window.
  public var width: Int

  /// The window of `height x width` pixels at (`top`, `left`).
  public init(top: Int, left: Int, height: Int, width: Int) {
    self.top = top
    self.left = left
    self.height = height
    self.width = width
  }
}

/// Crops a random window of random area and aspect ratio and resizes it to a fixed size
/// (torchvision's `RandomResizedCrop`, antialiased).
public struct RandomResizedCrop: ImageTransform {
  /// Output height.
  public var height: Int
  /// Output width.
  public var width: Int
  /// The range of the window's area as a fraction of the image's.
  public var scale: ClosedRange<Double>
  /// The range of the window's width / height.
  public var ratio: ClosedRange<Double>
  /// The filter the window is resized with.
  public var interpolation: Interpolation

  /// A crop to `height x width`; sizes, the smallest scale and ratio must be positive.
  public init(
    height: Int, width: Int, scale: ClosedRange<Double> = 0.08...1,
    ratio: ClosedRange<Double> = 0.75...(4.0 / 3.0),
    interpolation: Interpolation = .bilinear
  ) {
    precondition(
      height > 0 && width > 0 && scale.lowerBound > 0 && ratio.lowerBound > 0,
      "RandomResizedCrop: bad parameters")
    self.height = height
    self.width = width
    self.scale = scale
    self.ratio = ratio
    self.interpolation = interpolation
  }

  /// torchvision's `get_params`: up to ten tries of area ~ U(scale) · H·W and
  /// log-aspect ~ U(log ratio), rounded half-to-even; the first window that fits is
  /// placed uniformly. After ten misses, the largest centred window whose aspect ratio
  /// is clamped into `ratio`.
  public func sampleBox(
    height imageHeight: Int, width imageWidth: Int, using rng: inout RandomGenerator
  ) -> CropBox {
    let area = Double(imageHeight * imageWidth)
    let logRatio = (log(ratio.lowerBound), log(ratio.upperBound))
    for _ in 0..<10 {
      let targetArea = area * rng.uniform(scale.lowerBound, scale.upperBound)
      let aspect = exp(rng.uniform(logRatio.0, logRatio.1))
      let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
      let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
      if w > 0 && w <= imageWidth && h > 0 && h <= imageHeight {
        let top = rng.int(below: imageHeight - h + 1)
        let left = rng.int(below: imageWidth - w + 1)
        return CropBox(top: top, left: left, height: h, width: w)
      }
    }
    let inRatio = Double(imageWidth) / Double(imageHeight)
    var (w, h) = (imageWidth, imageHeight)
    if inRatio < ratio.lowerBound {
      h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
    } else if inRatio > ratio.upperBound {
      w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
    }
    return CropBox(top: (imageHeight - h) / 2, left: (imageWidth - w) / 2, height: h, width: w)
  }

  /// Crops `box` and resizes it to the output size.
  public func apply(_ image: Image, box: CropBox) -> Image {
    image.resizedCrop(
      top: box.top, left: box.left, height: box.height, width: box.width, outHeight: height,
      outWidth: width,
      interpolation: interpolation)
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    apply(image, box: sampleBox(height: image.height, width: image.width, using: &rng))
  }
}

/// Pads the image, then crops a uniformly placed window (torchvision's `RandomCrop`
/// with `padding`; the CIFAR recipe is 32 with padding 4).
public struct RandomCrop: ImageTransform {
  /// Output height.
  public var height: Int
  /// Output width.
  public var width: Int
  /// Pixels added on every side before cropping.
  public var padding: Int
  /// How the added border is filled.
  public var paddingMode: PaddingMode

  /// A `height x width` crop after padding by `padding` (non-negative) on every side.
  public init(height: Int, width: Int, padding: Int = 0, paddingMode: PaddingMode = .constant(0)) {
    precondition(height > 0 && width > 0 && padding >= 0, "RandomCrop: bad parameters")
    self.height = height
    self.width = width
    self.padding = padding
    self.paddingMode = paddingMode
  }

  /// The window in the padded image: uniform top and left.
  public func sampleBox(
    height imageHeight: Int, width imageWidth: Int, using rng: inout RandomGenerator
  ) -> CropBox {
    let (paddedHeight, paddedWidth) = (imageHeight + 2 * padding, imageWidth + 2 * padding)
    precondition(
      paddedHeight >= height && paddedWidth >= width,
      "RandomCrop: the crop is larger than the padded image")
    if paddedHeight == height && paddedWidth == width {
      return CropBox(top: 0, left: 0, height: height, width: width)
    }
    let top = rng.int(below: paddedHeight - height + 1)
    let left = rng.int(below: paddedWidth - width + 1)
    return CropBox(top: top, left: left, height: height, width: width)
  }

  /// Pads by `padding` and crops `box` (coordinates in the padded image).
  public func apply(_ image: Image, box: CropBox) -> Image {
    let source =
      padding > 0
      ? image.padded(
        left: padding, top: padding, right: padding, bottom: padding, mode: paddingMode) : image
    return source.cropped(top: box.top, left: box.left, height: box.height, width: box.width)
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    apply(image, box: sampleBox(height: image.height, width: image.width, using: &rng))
  }
}

/// The central window (torchvision's `CenterCrop`).
public struct CenterCrop: ImageTransform {
  /// Output height.
  public var height: Int
  /// Output width.
  public var width: Int

  /// The central `height x width` window (zero-padded when the image is smaller).
  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    image.centerCropped(height: height, width: width)
  }
}

/// Resizes to a fixed size, or the shorter side to a length keeping the aspect ratio
/// (torchvision's `Resize(size)` with an int).
public struct Resize: ImageTransform {
  /// The size to resize to.
  public enum Target: Sendable, Equatable {
    case exact(height: Int, width: Int)
    /// The shorter side becomes this long; the longer side `int(n * long / short)`.
    case shorterSide(Int)
  }

  /// The output size.
  public var target: Target
  /// The resampling filter.
  public var interpolation: Interpolation

  /// Resizes to `target` with `interpolation`.
  public init(_ target: Target, interpolation: Interpolation = .bilinear) {
    self.target = target
    self.interpolation = interpolation
  }

  /// The output size for an input of `height x width`.
  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    switch target {
    case .exact(let h, let w):
      return (h, w)
    case .shorterSide(let n):
      if width <= height { return (Int(Double(n) * Double(height) / Double(width)), n) }
      return (n, Int(Double(n) * Double(width) / Double(height)))
    }
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    let size = outputSize(height: image.height, width: image.width)
    return image.resized(height: size.height, width: size.width, interpolation: interpolation)
  }
}

/// Mirrors left to right with probability `probability` (torchvision's
/// `RandomHorizontalFlip`).
public struct RandomHorizontalFlip: ImageTransform {
  /// The chance of mirroring.
  public var probability: Double

  /// Mirrors with `probability` (torchvision's default 0.5).
  public init(probability: Double = 0.5) { self.probability = probability }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    rng.uniform() < probability ? image.flippedHorizontally() : image
  }
}

/// Random brightness, contrast, saturation and hue changes applied in a random order
/// (torchvision's `ColorJitter`). Strength b gives a factor ~ U(max(0, 1-b), 1+b) for
/// the first three and a hue shift ~ U(-h, h); a strength of 0 skips that adjustment.
public struct ColorJitter: ImageTransform {
  /// One of the four adjustments.
  public enum Adjustment: Int, Sendable, CaseIterable {
    case brightness, contrast, saturation, hue
  }

  /// Sampled parameters: the order, and a factor for each adjustment that is on.
  public struct Parameters: Sendable, Equatable {
    /// The order the adjustments run in (a permutation of all four).
    public var order: [Adjustment]
    /// The brightness factor; nil skips the adjustment.
    public var brightness: Float?
    /// The contrast factor; nil skips the adjustment.
    public var contrast: Float?
    /// The saturation factor; nil skips the adjustment.
    public var saturation: Float?
    /// The hue shift in turns, in [-0.5, 0.5]; nil skips the adjustment.
    public var hue: Float?

    /// Fixed parameters, for applying a known jitter.
    public init(
      order: [Adjustment], brightness: Float?, contrast: Float?, saturation: Float?, hue: Float?
    ) {
      self.order = order
      self.brightness = brightness
      self.contrast = contrast
      self.saturation = saturation
      self.hue = hue
    }
  }

  /// Strength b: brightness factor ~ U(max(0, 1-b), 1+b).
  public var brightness: Double
  /// Strength c: contrast factor ~ U(max(0, 1-c), 1+c).
  public var contrast: Double
  /// Strength s: saturation factor ~ U(max(0, 1-s), 1+s).
  public var saturation: Double
  /// Strength h in [0, 0.5]: hue shift ~ U(-h, h) turns.
  public var hue: Double

  /// A jitter with the given strengths (non-negative; hue at most 0.5).
  public init(brightness: Double = 0, contrast: Double = 0, saturation: Double = 0, hue: Double = 0)
  {
    precondition(
      brightness >= 0 && contrast >= 0 && saturation >= 0,
      "ColorJitter strengths must be non-negative")
    precondition(hue >= 0 && hue <= 0.5, "ColorJitter hue must lie in [0, 0.5]")
    self.brightness = brightness
    self.contrast = contrast
    self.saturation = saturation
    self.hue = hue
  }

  /// A random order (uniform permutation) and the factors, drawn brightness, contrast,
  /// saturation, hue, as torchvision's `get_params` does.
  public func sampleParameters(using rng: inout RandomGenerator) -> Parameters {
    let order = rng.permutation(4).compactMap(Adjustment.init(rawValue:))
    func factor(_ strength: Double) -> Float? {
      strength > 0 ? Float(rng.uniform(max(0, 1 - strength), 1 + strength)) : nil
    }
    let b = factor(brightness)
    let c = factor(contrast)
    let s = factor(saturation)
    let h = hue > 0 ? Float(rng.uniform(-hue, hue)) : nil
    return Parameters(order: order, brightness: b, contrast: c, saturation: s, hue: h)
  }

  /// Applies the adjustments of `parameters` in their order.
  public static func apply(_ image: Image, _ parameters: Parameters) -> Image {
    var result = image
    for adjustment in parameters.order {
      switch adjustment {
      case .brightness: if let f = parameters.brightness { result = result.adjustingBrightness(f) }
      case .contrast: if let f = parameters.contrast { result = result.adjustingContrast(f) }
      case .saturation: if let f = parameters.saturation { result = result.adjustingSaturation(f) }
      case .hue: if let f = parameters.hue { result = result.adjustingHue(f) }
      }
    }
    return result
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    ColorJitter.apply(image, sampleParameters(using: &rng))
  }
}

/// Converts to greyscale with probability `probability`, keeping the channel count
/// (torchvision's `RandomGrayscale`); greyscale images pass unchanged.
public struct RandomGrayscale: ImageTransform {
  /// The chance of converting.
  public var probability: Double

  /// Converts with `probability` (torchvision's default 0.1).
  public init(probability: Double = 0.1) { self.probability = probability }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    rng.uniform() < probability && image.channels == 3 ? image.grayscaled(outputChannels: 3) : image
  }
}

/// Gaussian blur with σ ~ U(sigma) and a fixed odd kernel size (torchvision's
/// `GaussianBlur`).
public struct GaussianBlur: ImageTransform {
  /// Taps of the (odd) kernel.
  public var kernelSize: Int
  /// The range σ is drawn from, in pixels.
  public var sigma: ClosedRange<Float>

  /// A blur with an odd `kernelSize` and σ drawn from `sigma` (positive).
  public init(kernelSize: Int, sigma: ClosedRange<Float> = 0.1...2.0) {
    precondition(
      kernelSize > 0 && kernelSize % 2 == 1 && sigma.lowerBound > 0,
      "GaussianBlur: odd kernel, positive sigma")
    self.kernelSize = kernelSize
    self.sigma = sigma
  }

  /// The odd kernel size of about a tenth of the image side that SimCLR uses
  /// (`2 * ((side / 10) / 2) + 1`: 23 taps at 224 px, 3 at 28 or 32 px).
  public static func kernelSize(forSide side: Int) -> Int { 2 * ((side / 10) / 2) + 1 }

  /// σ ~ U(sigma).
  public func sampleSigma(using rng: inout RandomGenerator) -> Float {
    Float(rng.uniform(Double(sigma.lowerBound), Double(sigma.upperBound)))
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    image.blurred(kernelSize: kernelSize, sigma: sampleSigma(using: &rng))
  }
}

/// PIL's Gaussian blur with radius ~ U(radius), as MoCo v2's `GaussianBlur([.1, 2.])`
/// class applies it (`ImageFilter.GaussianBlur(radius=σ)`).
public struct PILGaussianBlur: ImageTransform {
  /// The range PIL's radius (its σ) is drawn from, in pixels.
  public var radius: ClosedRange<Float>

  /// A blur with radius drawn from `radius` (non-negative; MoCo v2's 0.1...2).
  public init(radius: ClosedRange<Float> = 0.1...2.0) {
    precondition(radius.lowerBound >= 0, "PILGaussianBlur: the radius must be non-negative")
    self.radius = radius
  }

  /// The radius ~ U(radius).
  public func sampleRadius(using rng: inout RandomGenerator) -> Float {
    Float(rng.uniform(Double(radius.lowerBound), Double(radius.upperBound)))
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    image.pilGaussianBlurred(radius: sampleRadius(using: &rng))
  }
}

/// Rotates by an angle ~ U(-degrees, degrees), nearest-neighbour, same size, `fill`
/// outside (torchvision's `RandomRotation(degrees)`).
public struct RandomRotation: ImageTransform {
  /// The largest rotation either way, in degrees.
  public var degrees: Double
  /// The value of pixels rotated in from outside.
  public var fill: Float

  /// Rotations up to `degrees` either way, `fill` in the corners.
  public init(degrees: Double, fill: Float = 0) {
    self.degrees = degrees
    self.fill = fill
  }

  /// The angle in degrees.
  public func sampleAngle(using rng: inout RandomGenerator) -> Double {
    rng.uniform(-degrees, degrees)
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    image.rotated(degrees: sampleAngle(using: &rng), fill: fill)
  }
}

/// `(x - mean) / std` per channel (torchvision's `Normalize`). A greyscale image with
/// three-channel statistics uses their average, and the other way round.
public struct Normalize: ImageTransform {
  /// Per-channel means (or one for all channels).
  public var mean: [Float]
  /// Per-channel standard deviations (or one for all channels).
  public var std: [Float]

  /// Normalisation by `mean` and `std` (as many of each; every std positive).
  public init(mean: [Float], std: [Float]) {
    precondition(
      mean.count == std.count && !mean.isEmpty && std.allSatisfy { $0 > 0 },
      "Normalize: one positive std per mean")
    self.mean = mean
    self.std = std
  }

  public func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
    func fit(_ values: [Float]) -> [Float] {
      if values.count == image.channels { return values }
      if values.count == 1 { return Array(repeating: values[0], count: image.channels) }
      let average = values.reduce(0, +) / Float(values.count)
      return Array(repeating: average, count: image.channels)
    }
    return image.normalized(mean: fit(mean), std: fit(std))
  }
}
