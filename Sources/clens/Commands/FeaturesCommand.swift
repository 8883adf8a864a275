import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat
import Training

/// `clens features`: runs a ResNet over images and writes its penultimate features (and
/// logits), the inputs of every analysis; the model is a training run's checkpoint or
/// safetensors weights a user brings.
struct FeaturesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "features",
    abstract: "Write a model's penultimate features (after global pooling) and logits for a set of images.",
    discussion: """
      The model is a training run's checkpoint (--run DIR: checkpoints/last.safetensors, or --checkpoint \
      NAME), which rebuilds its own encoder, or --weights FILE with the architecture options (loaded \
      strictly; prefixes such as module.encoder_q. can be stripped). It runs in evaluation mode without \
      gradients and writes float32 .npy files: features [N, D] and, for a model with fc, logits \
      [N, classes]. Images come from --images X.npy (float32 [N, C, H, W] in [0, 1], or uint8 \
      [N, H, W] / [N, H, W, C]) or a dataset (default: a run's own held-out split, else the \
      Fashion-MNIST test set). --views RECIPE also writes the features of one augmented view of each \
      image, row-aligned, as positives for alignment (a run's own recipe by default). With --run the \
      files go to features/<tag>.npy (.labels.npy, .positives.npy) of the run, where every analysis \
      finds them. Normalisation (--normalize-mean/--normalize-std, or the run's) happens inside the model.
      """)

  @Option(name: .customLong("run"), help: "A training run: its checkpoint is the model and its features/ folder the output.")
  var runDirectory: String?

  @Option(help: "With --run: which checkpoint (checkpoints/<name>.safetensors). (default: last)")
  var checkpoint: String?

  @Option(help: "With --run: the feature set's name, features/<tag>.npy. (default: epoch-<k> of the checkpoint)")
  var tag: String?

  @OptionGroup(title: "Model (without --run)") var model: ModelOptions

  @Option(help: "Images as a .npy file (instead of a dataset).")
  var images: String?

  @OptionGroup(title: "Dataset (when --images is not given)") var data: DatasetOptions

  @Option(
    help: ArgumentHelp(
      "Also write the features of one view of each image augmented by this recipe (positives, for alignment).",
      discussion: "Recipes: \(AugmentationRecipe.names.joined(separator: ", ")). Dataset input only.",
      valueName: "recipe"))
  var views: String?

  @Option(help: "Where to write the features (float32 .npy, [N, D]); not with --run.")
  var out: String?

  @Option(help: "With --views and --out: where to write the positives' features.")
  var positivesOut: String?

  @Option(help: "Also write the logits here (float32 .npy, [N, classes]).")
  var logits: String?

  @Option(help: "Also write the dataset's labels here (int64 .npy, [N]); dataset input only.")
  var labelsOut: String?

  @Option(help: "Images per forward pass.")
  var batchSize: Int = 256

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    if let views, AugmentationRecipe(name: views) == nil {
      throw ValidationError("unknown --views recipe '\(views)': use \(AugmentationRecipe.names.joined(separator: ", "))")
    }
    if views != nil && images != nil {
      throw ValidationError("--views needs dataset input (it augments the dataset's images), not --images")
    }
    if labelsOut != nil && images != nil { throw ValidationError("--labels-out needs dataset input (labels are not in --images)") }
    if runDirectory != nil {
      if model.weights != nil { throw ValidationError("give either --run or --weights, not both") }
      if out != nil || positivesOut != nil || labelsOut != nil {
        throw ValidationError("with --run the files go to the run's features/<tag>.npy; --out, --positives-out and --labels-out are for --weights")
      }
    } else {
      if model.weights == nil { throw ValidationError("give --run DIR or --weights FILE") }
      if checkpoint != nil || tag != nil { throw ValidationError("--checkpoint and --tag apply only with --run") }
      if out == nil { throw ValidationError("--out is needed with --weights (where to write the features)") }
      if views != nil && positivesOut == nil { throw ValidationError("--views with --weights needs --positives-out") }
      if logits != nil && model.numClasses == 0 { throw ValidationError("--logits needs a model with --num-classes > 0") }
    }
  }

  func run() throws {
    let started = Date()
    let threads = common.threadCount
    let target = try resolveModel()
    let dataset = images == nil ? try loadDataset(target.configuration, threads: threads) : nil
    let source = try images.map { path throws(FileError) in try ImageArray.read(path) } ?? ImageArray(dataset!)
    if source.channels != target.encoder.configuration.inChannels {
      let problem = "images have \(source.channels) channel(s) but the model takes \(target.encoder.configuration.inChannels)"
      if let images { throw FileError(images, problem) }
      throw ValidationError(problem)
    }
    try common.requireMemory(
      model: target.encoder.configuration, shape: [source.channels, source.height, source.width],
      batch: min(batchSize, source.count), training: false,
      culprit: images ?? data.culprit)
    let bar = ProgressBar("features", unit: "img", quiet: !common.showsProgress)
    let result = withThreads(threads) {
      FeatureExtraction.run(target.encoder, images: source, batchSize: batchSize, progress: bar.callback)
    }
    var positives: [Float]?
    if let recipe = (views.flatMap { AugmentationRecipe(name: $0) } ?? target.recipe), let dataset {
      let transform = recipe.transform(height: dataset.height, width: dataset.width, normalization: nil)
      let view = dataset.augmentedViews(transform, views: 1, seed: common.seed, threads: threads)[0]
      let viewImages = ImageArray(
        count: dataset.count, channels: dataset.channels, height: dataset.height, width: dataset.width, pixels: view)
      let viewBar = ProgressBar("positives", unit: "img", quiet: !common.showsProgress)
      positives = withThreads(threads) {
        FeatureExtraction.run(target.encoder, images: viewImages, batchSize: batchSize, progress: viewBar.callback)
      }.features
    }
    let dimension = target.encoder.featureDimension
    var written = [String]()
    if let run = target.run {
      let files = run.directory.features(run.tag)
      try files.write(features: result.features, rows: source.count, labels: dataset?.labels, positives: positives)
      written = [files.features] + (dataset == nil ? [] : [files.labels]) + (positives == nil ? [] : [files.positives])
    } else if let out {
      try NPYArray(shape: [source.count, dimension], floats: result.features).write(to: out)
      written.append(out)
      if let positivesOut, let positives {
        try NPYArray(shape: [source.count, dimension], floats: positives).write(to: positivesOut)
        written.append(positivesOut)
      }
      if let labelsOut, let labels = dataset?.labels {
        try NPYArray(shape: [labels.count], int64s: labels.map(Int64.init)).write(to: labelsOut)
        written.append(labelsOut)
      }
    }
    if let logitsPath = logits, let values = result.logits, let classes = target.encoder.configuration.classes {
      try NPYArray(shape: [source.count, classes], floats: values).write(to: logitsPath)
      written.append(logitsPath)
    }
    let report = Report(
      count: source.count, featureDimension: dimension, classes: target.encoder.configuration.classes ?? 0,
      seconds: Date().timeIntervalSince(started), files: written)
    if common.json {
      try common.printJSON(report)
    } else {
      print("features of \(source.count) images, \(dimension) dimensions")
      for path in written { print("wrote \(path)") }
    }
  }

  /// What `--json` prints.
  struct Report: Encodable {
    var count: Int
    var featureDimension: Int
    var classes: Int
    var seconds: Double
    var files: [String]

    enum CodingKeys: String, CodingKey {
      case count, classes, seconds, files
      case featureDimension = "feature_dimension"
    }
  }

  /// The encoder to run, with where its features go and how its training augmented.
  private struct Target {
    var encoder: ResNet
    var run: (directory: RunDirectory, tag: String)?
    var configuration: RunConfiguration?
    var recipe: AugmentationRecipe?
  }

  private func resolveModel() throws -> Target {
    guard let runPath = runDirectory else { return Target(encoder: try model.loadModel()) }
    let directory = try RunDirectory(runPath)
    let configuration = try directory.configuration()
    let path = directory.checkpoint(checkpoint ?? "last")
    guard FileManager.default.fileExists(atPath: path) else {
      throw FileError(path, "no such checkpoint (has the run saved one yet?)")
    }
    let saved = try Checkpoint.read(path)
    let epochs = Int(saved.metadata.epoch.rounded(.down))
    let split = (data.split ?? configuration.flatMap { Split(rawValue: $0.data.evalSplit) } ?? .test)
    let defaultTag =
      split.rawValue == (configuration?.data.evalSplit ?? "test")
      ? RunDirectory.snapshotTag(epoch: epochs) : "\(split.rawValue)-\(RunDirectory.snapshotTag(epoch: epochs))"
    return Target(
      encoder: try saved.buildModel().encoder, run: (directory, tag ?? defaultTag), configuration: configuration,
      recipe: configuration.flatMap { AugmentationRecipe(name: $0.data.recipe) })
  }

  /// The images: `--dataset` as given, or the run's held-out images (another `--split`
  /// of its dataset in full).
  private func loadDataset(_ configuration: RunConfiguration?, threads: ThreadCount) throws -> ImageSet {
    guard let configuration, data.dataset == nil else { return try data.load(seed: common.seed, threads: threads) }
    let images = try TrainingData.heldOut(configuration, split: data.split, threads: threads)
    guard let limit = data.limit, limit < images.count else { return images }
    return images.subset(images.stratifiedIndices(total: limit, seed: common.seed))
  }
}
