import Datasets
import Engine
import RunFormat

/// The images of a run, as its `config.json` describes them. Everything that reads a
/// run's data goes through here, so a snapshot, `clens features --run` and a resumed run
/// see the same images.
///
/// - training: the train split's seeded, class-stratified `--limit` sample; for
///   fine-tuning, less a validation split carved from it (seeded, class-stratified),
///   then cut to the labelled subset (`--labelled`);
/// - validation (fine-tuning): what model selection reads, never the test split;
/// - held-out: the test split (its `--eval-limit` sample), what snapshots are taken of.
public enum TrainingData {
  /// The splits a trainer reads.
  public struct Splits: Sendable {
    public var train: ImageSet
    public var validation: ImageSet?
    public var heldOut: ImageSet?

    public init(train: ImageSet, validation: ImageSet? = nil, heldOut: ImageSet?) {
      self.train = train
      self.validation = validation
      self.heldOut = heldOut
    }
  }

  /// Where the run's dataset lives.
  public static func source(_ configuration: RunConfiguration) throws(FileError) -> DatasetSource {
    guard let kind = DatasetKind(rawValue: configuration.data.dataset) else {
      throw FileError("config.json", "names an unknown dataset '\(configuration.data.dataset)'")
    }
    return DatasetSource(kind, directory: configuration.data.dataDirectory)
  }

  /// The splits of a run, from its dataset's files.
  public static func splits(_ configuration: RunConfiguration, threads: ThreadCount) throws(FileError) -> Splits {
    let source = try source(configuration)
    return try splits(
      configuration, train: try source.load(.train, threads: threads),
      test: try source.load(Split(rawValue: configuration.data.evalSplit) ?? .test, threads: threads))
  }

  /// The splits of a run from the dataset's whole train and test splits.
  public static func splits(_ configuration: RunConfiguration, train: ImageSet, test: ImageSet) throws(FileError)
    -> Splits
  {
    var train = sample(train, count: configuration.data.limit ?? train.count, seed: configuration.seed)
    var validation: ImageSet?
    if let fineTuning = configuration.fineTuning {
      (train, validation) = carve(train, validation: fineTuning.validationCount, seed: configuration.seed)
      guard let subset = LabelSubset(fineTuning.labelled) else {
        throw FileError("config.json", "bad labelled subset '\(fineTuning.labelled)'")
      }
      train = train.subset(train.labelledIndices(subset, seed: configuration.seed))
    }
    guard train.count == configuration.data.trainCount else {
      throw FileError(
        "config.json", "the dataset gives \(train.count) training images, the run was made with \(configuration.data.trainCount)")
    }
    return Splits(
      train: train, validation: validation, heldOut: sample(test, count: configuration.data.evalCount, seed: configuration.seed))
  }

  /// The held-out images of a run's snapshots, or all of another split of its dataset.
  public static func heldOut(_ configuration: RunConfiguration, split: Split? = nil, threads: ThreadCount)
    throws(FileError) -> ImageSet
  {
    let evalSplit = Split(rawValue: configuration.data.evalSplit) ?? .test
    let images = try source(configuration).load(split ?? evalSplit, threads: threads)
    return (split ?? evalSplit) == evalSplit ? sample(images, count: configuration.data.evalCount, seed: configuration.seed) : images
  }

  /// `count` images of `images` as a seeded, class-stratified sample (all of them when
  /// `count` is not smaller).
  public static func sample(_ images: ImageSet, count: Int, seed: UInt64) -> ImageSet {
    count < images.count ? images.subset(images.stratifiedIndices(total: count, seed: seed)) : images
  }

  /// `images` split into the rest and a seeded, class-stratified validation split of
  /// `validation` images.
  public static func carve(_ images: ImageSet, validation: Int, seed: UInt64) -> (rest: ImageSet, validation: ImageSet?) {
    guard validation > 0 else { return (images, nil) }
    let chosen = Set(images.stratifiedIndices(total: validation, seed: seed, purpose: .validation))
    let rest = (0..<images.count).filter { !chosen.contains($0) }
    return (images.subset(rest), images.subset(chosen.sorted()))
  }
}
