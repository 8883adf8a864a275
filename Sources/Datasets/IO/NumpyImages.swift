import Engine

/// Images and labels saved from Python with NumPy, turned into an `ImageSet`.
public enum NumpyImages {
  /// The most classes "0" ... "K-1" made up from the labels alone; a larger label is
  /// almost surely corruption, and would otherwise allocate a name per class.
  public static let maximumImplicitClasses = 100_000

  /// Builds an `ImageSet` from an image array and a label array.
  ///
  /// Images follow `ImageArray`'s rules; float images are rounded to the nearest 1/255
  /// (what `ToTensor` of an 8-bit image gives). Labels are integers (or whole-number floats) in `0..<classNames.count`; with
  /// `classNames` nil the classes are "0" ... "K-1" for the largest label K-1.
  public static func imageSet(
    images: NPYArray, labels: NPYArray, imagesPath: String, labelsPath: String,
    classNames: [String]? = nil
  ) throws(FileError) -> ImageSet {
    let array = try ImageArray(images, path: imagesPath)
    let n = array.count
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

    return ImageSet(
      pixels: array.bytes(), labels: checked, channels: array.channels, height: array.height, width: array.width,
      classNames: names)
  }
}
