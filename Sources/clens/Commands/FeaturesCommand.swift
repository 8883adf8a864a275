import ArgumentParser
import Datasets
import Engine
import Foundation

/// `clens features`: runs a ResNet a user brings (safetensors weights) over images and
/// writes its penultimate features and logits, the inputs of every analysis.
struct FeaturesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "features",
    abstract: "Write a model's penultimate features (after global pooling) and logits for a set of images.",
    discussion: """
      Loads --weights strictly (every key must match the architecture; prefixes such as \
      module.encoder_q. can be stripped), runs the model in evaluation mode without gradients, \
      and writes float32 .npy files: features [N, D] and, with --logits, logits [N, classes]. \
      Images come from --images X.npy (float32 [N, C, H, W] in [0, 1], or uint8 [N, H, W] / \
      [N, H, W, C]) or, without --images, from --dataset/--split (default: Fashion-MNIST test). \
      Normalisation (--normalize-mean/--normalize-std) happens inside the model.
      """)

  @OptionGroup(title: "Model") var model: ModelOptions

  @Option(help: "Images as a .npy file (instead of --dataset).")
  var images: String?

  @OptionGroup(title: "Dataset (when --images is not given)") var data: DatasetOptions

  @Option(help: "Where to write the features (float32 .npy, [N, D]).")
  var out: String

  @Option(help: "Also write the logits here (float32 .npy, [N, classes]).")
  var logits: String?

  @Option(help: "Also write the dataset's labels here (int64 .npy, [N]); dataset input only.")
  var labelsOut: String?

  @Option(help: "Images per forward pass.")
  var batchSize: Int = 256

  @Option(help: "Threads (default: all cores).")
  var threads: Int?

  @Option(help: "Seed for --limit's sample.")
  var seed: UInt64 = 0

  @Flag(help: "Print one JSON object (count, dimensions, seconds) on stdout.")
  var json = false

  @Flag(help: "No progress bar.")
  var quiet = false

  func validate() throws {
    if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if logits != nil && model.numClasses == 0 { throw ValidationError("--logits needs a model with --num-classes > 0") }
    if labelsOut != nil && images != nil { throw ValidationError("--labels-out needs dataset input (labels are not in --images)") }
  }

  func run() throws {
    let started = Date()
    let threadCount = threads.map(ThreadCount.init) ?? .available
    let source = try images.map { path throws(FileError) in try ImageSource(npy: path) }
      ?? ImageSource(data.load(seed: seed, threads: threadCount))
    if source.channels != model.inChannels {
      let problem = "images have \(source.channels) channel(s) but the model takes \(model.inChannels) (--in-channels)"
      if let images { throw FileError(images, problem) }
      throw ValidationError(problem)
    }
    let resnet = try model.loadModel()
    let bar = ProgressBar("features", unit: "img", quiet: quiet || json)
    let result = withThreads(threadCount) {
      Self.extract(resnet, source, batchSize: batchSize, progress: bar.callback)
    }
    try NPYArray(shape: [source.count, resnet.featureDimension], floats: result.features).write(to: out)
    if let logits, let classes = resnet.configuration.classes {
      try NPYArray(shape: [source.count, classes], floats: result.logits).write(to: logits)
    }
    if let labelsOut, let labels = source.labels {
      try NPYArray(shape: [labels.count], int64s: labels.map(Int64.init)).write(to: labelsOut)
    }
    if json {
      let report: [String: Any] = [
        "count": source.count, "feature_dimension": resnet.featureDimension,
        "classes": resnet.configuration.classes ?? 0, "seconds": Date().timeIntervalSince(started),
      ]
      let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
    }
  }

  /// Features and logits of every image, in batches, evaluation mode, no tape.
  static func extract(
    _ model: ResNet, _ source: ImageSource, batchSize: Int, progress: ((Int, Int) -> Void)?
  ) -> (features: [Float], logits: [Float]) {
    var features = [Float]()
    var logits = [Float]()
    features.reserveCapacity(source.count * model.featureDimension)
    var start = 0
    while start < source.count {
      let range = start..<min(start + batchSize, source.count)
      let out = withoutGradients { model.forward(source.batch(range)) }
      features += out.features.scalars
      if let batchLogits = out.logits { logits += batchLogits.scalars }
      start = range.upperBound
      progress?(start, source.count)
    }
    return (features, logits)
  }
}
