/// A batch of (augmented) images as one Float32 NCHW buffer, with their labels.
///
/// With V views per image the buffer holds V·B images, view-major: image `i`'s view
/// `v` is row `v * count + i` (the layout SupCon's two-view forward pass and FNC's
/// support views use). The training code wraps `pixels` in its tensor type.
public struct Batch: Sendable, Equatable {
  /// `views * count * channels * height * width` values, NCHW.
  public var pixels: [Float]
  /// The class of each of the `count` images.
  public var labels: [Int]
  /// Each image's index in the `ImageSet` it came from.
  public var indices: [Int]
  /// Views per image (the buffer holds `views * count` images).
  public var views: Int
  /// The shape of one image.
  public var channels: Int
  /// Image height in pixels.
  public var height: Int
  /// Image width in pixels.
  public var width: Int

  /// Images in the batch (not counting views).
  public var count: Int { labels.count }
  /// The NCHW shape of `pixels`: `[views * count, channels, height, width]`.
  public var shape: [Int] { [views * count, channels, height, width] }
  /// Values per image.
  public var imageSize: Int { channels * height * width }

  /// A batch; `pixels` must hold `views * labels.count` images of the given shape.
  public init(
    pixels: [Float], labels: [Int], indices: [Int], views: Int, channels: Int, height: Int,
    width: Int
  ) {
    precondition(
      pixels.count == views * labels.count * channels * height * width,
      "Batch: pixel count does not match")
    self.pixels = pixels
    self.labels = labels
    self.indices = indices
    self.views = views
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// The pixels of view `view` of every image: `[count, channels, height, width]`.
  public func view(_ view: Int) -> ArraySlice<Float> {
    let size = count * imageSize
    return pixels[view * size..<(view + 1) * size]
  }
}
