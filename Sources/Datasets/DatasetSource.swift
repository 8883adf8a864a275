import Engine
import Foundation

/// The datasets ContrastLens reads, by their command-line names.
public enum DatasetKind: String, CaseIterable, Sendable {
  /// Zalando's Fashion-MNIST (IDX, 60k/10k, 28x28 grey): the default, from Debian's
  /// `dataset-fashion-mnist`.
  case fashionMNIST = "fashion-mnist"
  /// MNIST digits (the same IDX layout as Fashion-MNIST).
  case mnist
  /// CIFAR-10 binary batches (`data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`).
  case cifar10
  /// CIFAR-100 binary files (`train.bin`, `test.bin`), fine labels unless coarse asked.
  case cifar100
  /// The UCI 8x8 handwritten digits CSV (bundled).
  case digits
  /// PNG class folders: `DIR/train/<class>/*.png` and `DIR/test/<class>/*.png`.
  case folder
  /// NumPy files: `DIR/<split>.npz` (arrays `images`, `labels`) or
  /// `DIR/<split>_images.npy` with `DIR/<split>_labels.npy`.
  case npy

  /// Where the files are when no directory is given; nil when the user must say.
  public var defaultDirectory: String? {
    switch self {
    case .fashionMNIST: "/usr/share/datasets/fashion-mnist"
    default: nil
    }
  }

  /// The per-channel mean and standard deviation the reference code bases normalise
  /// with; nil for user data, whose statistics come from its training split.
  public var referenceNormalization: (mean: [Float], std: [Float])? {
    switch self {
    case .fashionMNIST: ([0.2860], [0.3530])
    case .mnist: ([0.1307], [0.3081])
    // SupContrast / SelfCon's CIFAR-10 constants (their std values are the ones those
    // repositories use, not the exact dataset std).
    case .cifar10: ([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010])
    case .cifar100: ([0.5071, 0.4867, 0.4408], [0.2675, 0.2565, 0.2761])
    case .digits, .folder, .npy: nil
    }
  }
}

/// A dataset split.
public enum Split: String, CaseIterable, Sendable {
  case train
  case test
}

/// Where a dataset lives and how to read it: the library side of the CLI's
/// `--dataset NAME --data-dir DIR`.
///
/// ```swift
/// let source = DatasetSource(.fashionMNIST)
/// let train = try source.load(.train)      // 60,000 x 1 x 28 x 28
/// ```
public struct DatasetSource: Sendable {
  /// Which dataset (and so which file format).
  public var kind: DatasetKind
  /// The folder holding the files; nil uses `kind.defaultDirectory` (or the bundled
  /// copy for `digits`).
  public var directory: String?
  /// For CIFAR-100: use the 20 superclasses instead of the 100 classes.
  public var coarseLabels: Bool

  /// The dataset `kind` in `directory` (nil: the default location).
  public init(_ kind: DatasetKind, directory: String? = nil, coarseLabels: Bool = false) {
    self.kind = kind
    self.directory = directory
    self.coarseLabels = coarseLabels
  }

  /// Fashion-MNIST's class names, by label.
  public static let fashionMNISTClasses = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    "Ankle boot",
  ]

  /// The folder the files are read from (nil only for the bundled digits).
  public var resolvedDirectory: String? { directory ?? kind.defaultDirectory }

  /// Reads one split. Errors name the file or folder and what is wrong with it.
  public func load(_ split: Split, threads: ThreadCount = .available) throws(FileError) -> ImageSet
  {
    switch kind {
    case .digits:
      return try loadDigits(split)
    case .fashionMNIST, .mnist:
      let folder = try dataFolder(split)
      let prefix = split == .train ? "train" : "t10k"
      let classes = kind == .mnist ? (0..<10).map(String.init) : DatasetSource.fashionMNISTClasses
      return try readIDXImageSet(
        images: try findFile(in: folder, names: idxNames(prefix, "images", 3)),
        labels: try findFile(in: folder, names: idxNames(prefix, "labels", 1)), classNames: classes)
    case .cifar10:
      let base = subfolder(try dataFolder(split), "cifar-10-batches-bin")
      let names = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
      var paths = [String]()
      for name in names { paths.append(try findFile(in: base, names: [name])) }
      return try CIFARBinary.read(paths, layout: .cifar10)
    case .cifar100:
      let base = subfolder(try dataFolder(split), "cifar-100-binary")
      return try CIFARBinary.read(
        [try findFile(in: base, names: ["\(split.rawValue).bin"])],
        layout: .cifar100(coarse: coarseLabels))
    case .folder:
      let folder = try dataFolder(split)
      let root = folder + "/" + split.rawValue
      guard FileManager.default.fileExists(atPath: root) else {
        throw FileError(
          root,
          "no such folder (a folder dataset has \(folder)/train/<class>/*.png and \(folder)/test/<class>/*.png)"
        )
      }
      return try ImageFolder.read(root, threads: threads)
    case .npy:
      return try loadNumpy(try dataFolder(split), split)
    }
  }

  /// The existing folder the files of `split` are read from.
  private func dataFolder(_ split: Split) throws(FileError) -> String {
    guard let folder = resolvedDirectory else {
      throw FileError(
        "--data-dir",
        "\(kind.rawValue) needs --data-dir: the folder holding \(expectedFiles(split).joined(separator: ", "))"
      )
    }
    try requireFolder(folder)
    return folder
  }

  /// The bundled digits (the UCI test file as scikit-learn ships it) have no split of
  /// their own: the last fifth, 359 images in file order, is the test split and the
  /// first 1,438 the training split. The file records no writers, so nothing says the
  /// two splits' writers differ.
  private func loadDigits(_ split: Split) throws(FileError) -> ImageSet {
    let path: String
    if let directory {
      try requireFolder(directory)
      path = try findFile(in: directory, names: ["digits.csv.gz", "digits.csv"])
    } else {
      guard let bundled = DigitsCSV.bundledPath else {
        throw FileError(
          "digits.csv.gz", "the bundled copy is missing; pass --data-dir with a digits.csv(.gz)")
      }
      path = bundled
    }
    let all = try DigitsCSV.read(path)
    let testCount = all.count / 5
    let trainCount = all.count - testCount
    return all.subset(split == .train ? Array(0..<trainCount) : Array(trainCount..<all.count))
  }

  private func loadNumpy(_ folder: String, _ split: Split) throws(FileError) -> ImageSet {
    let names = try classNamesFile(folder)
    let archive = folder + "/" + split.rawValue + ".npz"
    if FileManager.default.fileExists(atPath: archive) {
      let arrays = try NPZ.read(archive)
      guard let images = arrays["images"] ?? arrays["x"],
        let labels = arrays["labels"] ?? arrays["y"]
      else {
        throw FileError(
          archive,
          "needs arrays 'images' and 'labels' (found: \(arrays.keys.sorted().joined(separator: ", ")))"
        )
      }
      return try NumpyImages.imageSet(
        images: images, labels: labels, imagesPath: archive, labelsPath: archive, classNames: names)
    }
    let imagesPath = try findFile(
      in: folder, names: ["\(split.rawValue)_images.npy"], alternative: "\(split.rawValue).npz")
    let labelsPath = try findFile(in: folder, names: ["\(split.rawValue)_labels.npy"])
    return try NumpyImages.imageSet(
      images: NPYArray.read(imagesPath), labels: NPYArray.read(labelsPath), imagesPath: imagesPath,
      labelsPath: labelsPath, classNames: names)
  }

  /// Class names from an optional `classes.txt` (one name per line) next to NumPy data.
  private func classNamesFile(_ folder: String) throws(FileError) -> [String]? {
    let path = folder + "/classes.txt"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let text = String(decoding: try AtomicFile.read(path), as: UTF8.self)
    let names = text.split(whereSeparator: \.isNewline).map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty }
    guard !names.isEmpty else { throw FileError(path, "no class names in the file") }
    return names
  }

  private func expectedFiles(_ split: Split) -> [String] {
    switch kind {
    case .fashionMNIST, .mnist:
      ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-…"]
    case .cifar10: ["data_batch_1.bin … data_batch_5.bin", "test_batch.bin"]
    case .cifar100: ["train.bin", "test.bin"]
    case .digits: ["digits.csv.gz"]
    case .folder: ["train/<class>/*.png", "test/<class>/*.png"]
    case .npy:
      ["\(split.rawValue).npz or \(split.rawValue)_images.npy + \(split.rawValue)_labels.npy"]
    }
  }

  /// IDX file names as distributed (`.gz` or unpacked, dash or dot before "idx").
  private func idxNames(_ prefix: String, _ what: String, _ rank: Int) -> [String] {
    [
      "\(prefix)-\(what)-idx\(rank)-ubyte.gz", "\(prefix)-\(what)-idx\(rank)-ubyte",
      "\(prefix)-\(what).idx\(rank)-ubyte",
    ]
  }

  private func subfolder(_ folder: String, _ name: String) -> String {
    var isDirectory: ObjCBool = false
    let nested = folder + "/" + name
    return FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory)
      && isDirectory.boolValue ? nested : folder
  }

  private func requireFolder(_ folder: String) throws(FileError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
      let hint =
        kind == .fashionMNIST && directory == nil
        ? " (install Debian's dataset-fashion-mnist: scripts/install-deps)" : ""
      throw FileError(folder, "no such folder\(hint)")
    }
    guard isDirectory.boolValue else {
      throw FileError(folder, "is a file, expected the folder holding the \(kind.rawValue) files")
    }
  }

  private func findFile(in folder: String, names: [String], alternative: String? = nil)
    throws(FileError) -> String
  {
    for name in names where FileManager.default.fileExists(atPath: folder + "/" + name) {
      return folder + "/" + name
    }
    let options = (names + (alternative.map { [$0] } ?? [])).joined(separator: " or ")
    throw FileError(
      folder + "/" + names[0], "no such file (\(kind.rawValue) expects \(options) in \(folder))")
  }
}
