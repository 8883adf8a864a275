import Engine

/// Images and labels saved from Python with NumPy, turned into an `ImageSet`.
public enum NumpyImages {
  /// The most classes "0" ... "K-1" made up from the labels alone; a larger label is
  /// almost surely corruption, and would otherwise allocate a name per class.
  public static let maximumImplicitClasses = 100_000

  /// Builds an `ImageSet` from an image array and a label array.
  ///
  /// Images may be `[N, H, W]`, channels-first `[N, C, H, W]` or channels-last
  /// `[N, H, W, C]` with C of 1 or 3 (a dimension of 1 or 3 right after N means
  /// channels-first). uint8 images are taken as they are; float32/float64 images must lie
  /// in [0, 1] and are rounded to the nearest 1/255 (what `ToTensor` of an 8-bit image
  /// gives). Labels are integers (or whole-number floats) in `0..<classNames.count`; with
  /// `classNames` nil the classes are "0" ... "K-1" for the largest label K-1.
  public static func imageSet(
    images: NPYArray, labels: NPYArray, imagesPath: String, labelsPath: String,
    classNames: [String]? = nil
  ) throws(FileError) -> ImageSet {
    let shape = images.shape
    let n: Int
    let channels: Int
    let height: Int
    let width: Int
    var channelsLast = false
    switch shape.count {
    case 3:
      (n, channels, height, width) = (shape[0], 1, shape[1], shape[2])
    case 4 where shape[1] == 1 || shape[1] == 3:
      (n, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    case 4 where shape[3] == 1 || shape[3] == 3:
      (n, channels, height, width) = (shape[0], shape[3], shape[1], shape[2])
      channelsLast = true
    default:
      throw FileError(
        imagesPath,
        "expected images of shape [N, H, W], [N, C, H, W] or [N, H, W, C] with C = 1 or 3, found \(shape)"
      )
    }
    try checkedImageShape(count: n, height: height, width: width, path: imagesPath)
    guard labels.shape == [n] else {
      throw FileError(
        labelsPath,
        "expected \(n) labels (shape [\(n)]) to match the images, found shape \(labels.shape)")
    }
    guard let values = labels.integers() else {
      throw FileError(labelsPath, "labels must be whole numbers")
    }
    let largest = values.max() ?? -1
    guard classNames != nil || largest < maximumImplicitClasses else {
      throw FileError(
        labelsPath,
        "label \(largest) would make \(largest + 1) classes (more than \(maximumImplicitClasses) need a classes.txt)"
      )
    }
    let names = classNames ?? (0..<(largest + 1)).map(String.init)
    let checked = try checkedLabels(values, classCount: names.count, path: labelsPath)

    var bytes: [UInt8]
    switch images.type {
    case .uint8:
      bytes = images.bytes
    case .float32, .float64:
      let floats = images.doubles()
      if let bad = floats.first(where: { !($0 >= 0 && $0 <= 1) }) {
        throw FileError(imagesPath, "float images must lie in [0, 1] (un-normalised); found \(bad)")
      }
      bytes = floats.map { UInt8(($0 * 255).rounded()) }
    default:
      throw FileError(imagesPath, "images must be uint8, float32 or float64, found \(images.type)")
    }
    if channelsLast && channels > 1 {
      let plane = height * width
      var planar = [UInt8](repeating: 0, count: bytes.count)
      for i in 0..<n {
        let base = i * plane * channels
        for p in 0..<plane {
          for c in 0..<channels { planar[base + c * plane + p] = bytes[base + p * channels + c] }
        }
      }
      bytes = planar
    }
    return ImageSet(
      pixels: bytes, labels: checked, channels: channels, height: height, width: width,
      classNames: names)
  }
}
