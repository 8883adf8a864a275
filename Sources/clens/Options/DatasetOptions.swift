import ArgumentParser
import Datasets
import Engine

extension DatasetKind: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}

extension LabelSubset: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
}

/// The options every command that reads images shares:
/// `--dataset NAME [--data-dir DIR] [--split train|test] [--limit N] [--coarse-labels]`.
///
/// ```swift
/// @OptionGroup var data: DatasetOptions
/// let images = try data.load(seed: seed, threads: threads)   // the --split, or test
/// ```
struct DatasetOptions: ParsableArguments {
  @Option(help: "The dataset to read (commands that always read images default to fashion-mnist).")
  var dataset: DatasetKind?

  /// The dataset to read: `--dataset`, or Fashion-MNIST.
  var kind: DatasetKind { dataset ?? .fashionMNIST }

  /// How an error about the images names them: the data folder, else the dataset.
  var culprit: String { dataDir ?? kind.rawValue }

  @Option(
    help: ArgumentHelp(
      "The folder holding the dataset's files.",
      discussion: """
        Defaults: /usr/share/datasets/fashion-mnist for fashion-mnist (Debian's dataset-fashion-mnist), \
        the bundled copy for digits; the others need it. cifar10: data_batch_1.bin … test_batch.bin; \
        cifar100: train.bin, test.bin; folder: train/<class>/*.png and test/<class>/*.png; \
        npy: <split>.npz (images, labels) or <split>_images.npy + <split>_labels.npy, optional classes.txt.
        """))
  var dataDir: String?

  @Option(
    help: "Which split to read: train or test (default: test, or both where a command shows both).")
  var split: Split?

  @Option(
    help:
      "Read at most this many images: a seeded sample with each class in proportion to its size.")
  var limit: Int?

  @Flag(help: "CIFAR-100 only: use the 20 superclasses instead of the 100 classes.")
  var coarseLabels = false

  func validate() throws {
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    if coarseLabels && kind != .cifar100 {
      throw ValidationError("--coarse-labels applies only to --dataset cifar100")
    }
    if dataDir == nil && kind.defaultDirectory == nil && kind != .digits {
      throw ValidationError(
        "--dataset \(kind.rawValue) needs --data-dir (the folder holding its files)")
    }
  }

  /// Where the files are read from.
  var source: DatasetSource {
    DatasetSource(kind, directory: dataDir, coarseLabels: coarseLabels)
  }

  /// Reads `split` (default: `--split`, else test), cut to `--limit` images with `seed`.
  func load(_ split: Split? = nil, seed: UInt64, threads: ThreadCount) throws(FileError) -> ImageSet
  {
    let images = try source.load(split ?? self.split ?? .test, threads: threads)
    guard let limit, limit < images.count else { return images }
    return images.subset(images.stratifiedIndices(total: limit, seed: seed))
  }
}
