import Engine

/// The CIFAR-10 and CIFAR-100 "binary version" files: fixed-size records of label
/// byte(s) followed by a 32x32 RGB image, channel-major (1024 red, 1024 green, 1024 blue).
public enum CIFARBinary {
  /// Which CIFAR file layout, and for CIFAR-100 which of its two labels to keep.
  public enum Layout: Sendable, Equatable {
    /// One label byte (0..9) per record: `data_batch_1.bin` ... `test_batch.bin`.
    case cifar10
    /// A coarse (0..19) then a fine (0..99) label byte per record: `train.bin`, `test.bin`.
    case cifar100(coarse: Bool)

    var labelBytes: Int {
      switch self {
      case .cifar10: 1
      case .cifar100: 2
      }
    }

    var classNames: [String] {
      switch self {
      case .cifar10: CIFARBinary.cifar10Classes
      case .cifar100(let coarse):
        coarse ? CIFARBinary.cifar100CoarseClasses : CIFARBinary.cifar100FineClasses
      }
    }

    var name: String {
      switch self {
      case .cifar10: "CIFAR-10"
      case .cifar100: "CIFAR-100"
      }
    }
  }

  /// Bytes per image (3 x 32 x 32).
  public static let imageBytes = 3 * 32 * 32

  /// Reads the records of the files at `paths`, in order, into one `ImageSet`.
  public static func read(_ paths: [String], layout: Layout) throws(FileError) -> ImageSet {
    var pixels = [UInt8]()
    var labels = [Int]()
    for path in paths {
      let (filePixels, fileLabels) = try decode(
        Array(AtomicFile.read(path)), layout: layout, path: path)
      pixels += filePixels
      labels += fileLabels
    }
    return ImageSet(
      pixels: pixels, labels: labels, channels: 3, height: 32, width: 32,
      classNames: layout.classNames)
  }

  /// Decodes one batch file; `path` only names it in errors.
  public static func decode(_ file: [UInt8], layout: Layout, path: String) throws(FileError) -> (
    pixels: [UInt8], labels: [Int]
  ) {
    let record = layout.labelBytes + imageBytes
    guard !file.isEmpty else {
      throw FileError(path, "empty file, expected \(layout.name) records")
    }
    guard file.count % record == 0 else {
      throw FileError(
        path,
        "size \(file.count) is not a whole number of \(record)-byte \(layout.name) records (truncated, or not a \(layout.name) binary batch)"
      )
    }
    let count = file.count / record
    var pixels = [UInt8]()
    pixels.reserveCapacity(count * imageBytes)
    var labels = [Int]()
    labels.reserveCapacity(count)
    let classCount = layout.classNames.count
    for r in 0..<count {
      let start = r * record
      let label: Int
      switch layout {
      case .cifar10:
        label = Int(file[start])
      case .cifar100(let coarse):
        label = Int(coarse ? file[start] : file[start + 1])
        if !coarse, file[start] >= 20 {
          throw FileError(
            path,
            "coarse label \(file[start]) of record \(r) is outside 0..<20 (not a CIFAR-100 file?)")
        }
      }
      guard label < classCount else {
        throw FileError(
          path,
          "label \(label) of record \(r) is outside 0..<\(classCount) (not a \(layout.name) file?)")
      }
      labels.append(label)
      pixels += file[start + layout.labelBytes..<start + record]
    }
    return (pixels, labels)
  }

  /// The bytes of a batch file holding `images` (3x32x32 each); `coarseLabels` are
  /// required for CIFAR-100 and written before the fine labels.
  public static func encode(_ images: ImageSet, coarseLabels: [Int]? = nil) -> [UInt8] {
    precondition(
      images.channels == 3 && images.height == 32 && images.width == 32, "CIFAR images are 3x32x32")
    var file = [UInt8]()
    for i in 0..<images.count {
      if let coarseLabels { file.append(UInt8(coarseLabels[i])) }
      file.append(UInt8(images.labels[i]))
      file += images.imageBytes(i)
    }
    return file
  }

  /// CIFAR-10 class names, by label.
  public static let cifar10Classes = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
  ]

  /// CIFAR-100 fine class names, by label (alphabetical, as in `fine_label_names.txt`).
  public static let cifar100FineClasses = [
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
    "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
    "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup",
    "dinosaur",
    "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo",
    "keyboard",
    "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle",
    "mountain",
    "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear",
    "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
    "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
    "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
    "television", "tiger", "tractor",
    "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman",
    "worm",
  ]

  /// CIFAR-100 coarse (superclass) names, by label, as in `coarse_label_names.txt`.
  public static let cifar100CoarseClasses = [
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals", "trees",
    "vehicles_1", "vehicles_2",
  ]
}
