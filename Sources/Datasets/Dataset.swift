import Engine

/// Labelled images in memory: `count` images of `channels x height x width` bytes,
/// channel-major (CHW) per image, with one class label each.
public struct ImageSet: Sendable {
  public var pixels: [UInt8]
  public var labels: [Int]
  public var channels: Int
  public var height: Int
  public var width: Int
  public var classCount: Int

  public var count: Int { labels.count }
  public var imageSize: Int { channels * height * width }

  public init(pixels: [UInt8], labels: [Int], channels: Int, height: Int, width: Int, classCount: Int) {
    precondition(pixels.count == labels.count * channels * height * width, "ImageSet: pixel count does not match")
    self.pixels = pixels
    self.labels = labels
    self.channels = channels
    self.height = height
    self.width = width
    self.classCount = classCount
  }
}
