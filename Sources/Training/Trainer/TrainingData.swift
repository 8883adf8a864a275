import Datasets
import Engine
import RunFormat

/// The images of a run, as its `config.json` describes them: the training images (the
/// seeded, class-stratified `--limit` sample) and the held-out images its feature
/// snapshots are taken of. Everything that reads a run's data goes through here, so a
/// snapshot, `clens features --run` and a resumed run see the same images.
public enum TrainingData {
  /// Where the run's dataset lives.
  public static func source(_ configuration: RunConfiguration) throws(FileError) -> DatasetSource {
    guard let kind = DatasetKind(rawValue: configuration.data.dataset) else {
      throw FileError("config.json", "names an unknown dataset '\(configuration.data.dataset)'")
    }
    return DatasetSource(kind, directory: configuration.data.dataDirectory)
  }

  /// The training images.
  public static func train(_ configuration: RunConfiguration, threads: ThreadCount) throws(FileError) -> ImageSet {
    let images = try source(configuration).load(.train, threads: threads)
    return sample(images, count: configuration.data.trainCount, seed: configuration.seed)
  }

  /// The held-out images of the snapshots (or another split, of the same size rule).
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
}
