/// One image as Float32, channel-major (CHW), values nominally in [0, 1]: what
/// torchvision's `ToTensor` makes of a PIL image, and what every augmentation takes
/// and returns.
public struct Image: Sendable, Equatable {
  /// 1 (greyscale) or 3 (RGB).
  public var channels: Int
  /// Rows.
  public var height: Int
  /// Columns.
  public var width: Int
  /// `channels * height * width` values, channel planes one after another.
  public var pixels: [Float]

  /// An image of the given shape; `pixels` must hold `channels * height * width` values.
  public init(channels: Int, height: Int, width: Int, pixels: [Float]) {
    precondition(
      pixels.count == channels * height * width, "Image: pixel count does not match the shape")
    self.channels = channels
    self.height = height
    self.width = width
    self.pixels = pixels
  }

  /// An image of the given shape filled with `value`.
  public init(channels: Int, height: Int, width: Int, repeating value: Float = 0) {
    self.init(
      channels: channels, height: height, width: width,
      pixels: [Float](repeating: value, count: channels * height * width))
  }

  /// Pixels in one channel plane.
  public var planeSize: Int { height * width }

  /// The value at channel `c`, row `y`, column `x`.
  public subscript(c: Int, y: Int, x: Int) -> Float {
    get { pixels[(c * height + y) * width + x] }
    set { pixels[(c * height + y) * width + x] = newValue }
  }

  /// Builds an image by filling a fresh buffer of the given shape.
  static func make(
    channels: Int, height: Int, width: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void
  ) -> Image {
    let count = channels * height * width
    let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      fill(buffer)
      initialized = count
    }
    return Image(channels: channels, height: height, width: width, pixels: values)
  }
}
