import Engine

/// Images from a NumPy array, in every layout ContrastLens accepts, handed out as
/// Float32 channel-major (CHW) pixels in [0, 1]. The one place the rules for `.npy`
/// images live: `NumpyImages` (datasets) and the model commands (`--images`) both use it.
///
/// Accepted: `[N, H, W]` (one channel), channels-first `[N, C, H, W]` or channels-last
/// `[N, H, W, C]` with C of 1 or 3 (a dimension of 1 or 3 right after N means
/// channels-first); uint8 values are scaled by 1/255 (torchvision's `ToTensor`),
/// float32/float64 values must lie in [0, 1] and are kept as they are (adversarial
/// images are not on the 1/255 grid).
public struct ImageArray: Sendable {
  /// Number of images.
  public let count: Int
  /// Channels (1 or 3).
  public let channels: Int
  public let height: Int
  public let width: Int
  private let values: Values

  private enum Values: Sendable {
    /// uint8, channels-first.
    case bytes([UInt8])
    /// Float32 in [0, 1], channels-first.
    case floats([Float])
  }

  /// Values per image.
  public var imageSize: Int { channels * height * width }

  /// Reads and checks a `.npy` file of images.
  public static func read(_ path: String) throws(FileError) -> ImageArray {
    try ImageArray(try NPYArray.read(path), path: path)
  }

  /// Checks `array`'s layout and values; errors name `path`.
  public init(_ array: NPYArray, path: String) throws(FileError) {
    let shape = array.shape
    var channelsLast = false
    switch shape.count {
    case 3:
      (count, channels, height, width) = (shape[0], 1, shape[1], shape[2])
    case 4 where shape[1] == 1 || shape[1] == 3:
      (count, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    case 4 where shape[3] == 1 || shape[3] == 3:
      (count, channels, height, width) = (shape[0], shape[3], shape[1], shape[2])
      channelsLast = true
    default:
      throw FileError(
        path, "expected images of shape [N, H, W], [N, C, H, W] or [N, H, W, C] with C = 1 or 3, found \(shape)")
    }
    try checkedImageShape(count: count, height: height, width: width, path: path)
    let (n, c, plane) = (count, channels, height * width)
    func planar<T>(_ flat: [T]) -> [T] {
      guard channelsLast && c > 1 else { return flat }
      var result = flat
      for i in 0..<n {
        let base = i * plane * c
        for p in 0..<plane {
          for k in 0..<c { result[base + k * plane + p] = flat[base + p * c + k] }
        }
      }
      return result
    }
    switch array.type {
    case .uint8:
      values = .bytes(planar(array.bytes))
    case .float32, .float64:
      let floats = array.floats()
      if let (index, bad) = floats.enumerated().first(where: { !($0.element >= 0 && $0.element <= 1) }) {
        throw FileError(
          path,
          "element \(index) is \(bad.isNaN ? "NaN" : "\(bad)"): float images must lie in [0, 1] (un-normalised; normalisation happens inside the model)"
        )
      }
      values = .floats(planar(floats))
    default:
      throw FileError(path, "images must be uint8, float32 or float64, found \(array.type)")
    }
  }

  /// `count` images of `channels x height x width` Float32 values in [0, 1], CHW, image
  /// after image (e.g. augmented views).
  public init(count: Int, channels: Int, height: Int, width: Int, pixels: [Float]) {
    precondition(pixels.count == count * channels * height * width, "ImageArray: pixel count does not match")
    (self.count, self.channels, self.height, self.width) = (count, channels, height, width)
    values = .floats(pixels)
  }

  /// The images of a dataset split.
  public init(_ images: ImageSet) {
    (count, channels, height, width) = (images.count, images.channels, images.height, images.width)
    values = .bytes(images.pixels)
  }

  /// Images `range` as Float32 CHW values in [0, 1], image after image.
  public func pixels(_ range: Range<Int>) -> [Float] {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "ImageArray: images \(range) of \(count)")
    let slice = range.lowerBound * imageSize..<range.upperBound * imageSize
    switch values {
    case .bytes(let bytes): return bytes[slice].map { Float($0) * (1 / 255) }
    case .floats(let floats): return Array(floats[slice])
    }
  }

  /// Every image as bytes, floats rounded to the nearest 1/255 (what `ToTensor` of an
  /// 8-bit image gives).
  public func bytes() -> [UInt8] {
    switch values {
    case .bytes(let bytes): bytes
    case .floats(let floats): floats.map { UInt8(($0 * 255).rounded()) }
    }
  }
}
