import Engine

/// Labelled images in memory: `count` images of `channels x height x width` bytes,
/// channel-major (CHW) per image, with one class label each.
///
/// Every reader (IDX, CIFAR, PNG folders, NumPy, the digits CSV) produces one of these,
/// and the batch loader turns it into augmented Float32 batches. Bytes keep a
/// 60,000-image set at 47 MB; conversion to [0, 1] floats happens per image, as
/// torchvision's `ToTensor` does.
public struct ImageSet: Sendable, Equatable {
  /// Pixel bytes, image after image, each image channel-major (CHW).
  public var pixels: [UInt8]
  /// One class index in `0..<classCount` per image.
  public var labels: [Int]
  /// 1 (greyscale) or 3 (RGB).
  public var channels: Int
  /// Image height in pixels.
  public var height: Int
  /// Image width in pixels.
  public var width: Int
  /// Human-readable class names, `classCount` of them.
  public var classNames: [String]

  /// Number of images.
  public var count: Int { labels.count }
  /// Bytes per image.
  public var imageSize: Int { channels * height * width }
  /// Number of classes (the labels lie in `0..<classCount`).
  public var classCount: Int { classNames.count }

  /// A set of `labels.count` images; `pixels` must hold that many images of the given
  /// shape and every label must index `classNames`.
  public init(
    pixels: [UInt8], labels: [Int], channels: Int, height: Int, width: Int, classNames: [String]
  ) {
    precondition(
      pixels.count == labels.count * channels * height * width,
      "ImageSet: pixel count does not match")
    precondition(
      labels.allSatisfy { $0 >= 0 && $0 < classNames.count }, "ImageSet: label out of range")
    self.pixels = pixels
    self.labels = labels
    self.channels = channels
    self.height = height
    self.width = width
    self.classNames = classNames
  }

  /// The bytes of image `index` (CHW).
  public func imageBytes(_ index: Int) -> ArraySlice<UInt8> {
    pixels[index * imageSize..<(index + 1) * imageSize]
  }

  /// Image `index` as Float32 in [0, 1] (bytes / 255, torchvision's `ToTensor`).
  public func image(_ index: Int) -> Image {
    let size = imageSize
    let values = [Float](unsafeUninitializedCapacity: size) { buffer, initialized in
      pixels.withUnsafeBufferPointer { source in
        let start = index * size
        for k in 0..<size { buffer[k] = Float(source[start + k]) * (1 / 255) }
      }
      initialized = size
    }
    return Image(channels: channels, height: height, width: width, pixels: values)
  }

  /// The images at `indices`, in that order.
  public func subset(_ indices: [Int]) -> ImageSet {
    let size = imageSize
    var bytes = [UInt8]()
    bytes.reserveCapacity(indices.count * size)
    for index in indices { bytes.append(contentsOf: imageBytes(index)) }
    return ImageSet(
      pixels: bytes, labels: indices.map { labels[$0] }, channels: channels, height: height,
      width: width,
      classNames: classNames)
  }

  /// How many images each class has, indexed by class.
  public var classCounts: [Int] {
    var counts = [Int](repeating: 0, count: classCount)
    for label in labels { counts[label] += 1 }
    return counts
  }

  /// Per-channel mean and standard deviation of the pixels on the [0, 1] scale (the
  /// population statistics, as used for `Normalize`).
  public func channelStatistics() -> (mean: [Double], std: [Double]) {
    let plane = height * width
    var sums = [Double](repeating: 0, count: channels)
    var squares = [Double](repeating: 0, count: channels)
    pixels.withUnsafeBufferPointer { source in
      for image in 0..<count {
        for channel in 0..<channels {
          let start = (image * channels + channel) * plane
          var sum = 0
          var square = 0
          for k in start..<start + plane {
            let value = Int(source[k])
            sum += value
            square += value * value
          }
          sums[channel] += Double(sum)
          squares[channel] += Double(square)
        }
      }
    }
    let n = Double(max(1, count * plane))
    let mean = sums.map { $0 / n / 255 }
    let std = zip(squares, mean).map { square, m in
      (max(0, square / n / (255 * 255) - m * m)).squareRoot()
    }
    return (mean, std)
  }
}
