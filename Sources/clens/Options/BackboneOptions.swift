import ArgumentParser
import Datasets
import Engine
import RunFormat
import Training

/// Where a frozen or fine-tuned encoder comes from: `--from RUN|CHECKPOINT|WEIGHTS`
/// `[--checkpoint NAME] [--strip-prefix P]`, and for weights from PyTorch their shape
/// (`--arch --width --stem`) and normalisation.
struct BackboneOptions: ParsableArguments {
  @Option(
    name: .customLong("from"),
    help: "The encoder: a run directory, a ContrastLens checkpoint, or weights from PyTorch (safetensors, or a .pth/.pt/.pkl checkpoint).")
  var source: String?

  @Option(help: "With a run directory as --from: which checkpoint (checkpoints/<name>.safetensors). (default: last)")
  var checkpoint: String?

  @OptionGroup(title: "Weights from PyTorch (--from FILE.safetensors or FILE.pth)") var encoder: EncoderOptions

  @OptionGroup var entry: WeightsEntryOptions

  @OptionGroup var normalization: NormalizationOptions

  /// Whether any option of the group was given.
  var isGiven: Bool {
    source != nil || checkpoint != nil || encoder.arch != nil || encoder.width != nil || encoder.stem != nil
      || entry.stripPrefix != nil || entry.stateDictKey != nil || normalization.normalizeMean != nil
  }

  /// The backbone's tensors and recorded architecture.
  func load() throws -> Backbone {
    guard let source else { throw ValidationError("--from is needed: a run directory, a checkpoint or safetensors weights") }
    return try Backbone.load(
      source, checkpointName: checkpoint, stripPrefix: entry.stripPrefix, stateDictKey: entry.stateDictKey)
  }

  /// The encoder `backbone` loads into, for images like `images`: the architecture the
  /// backbone records, or for weights the options' (CIFAR stem up to 64 px, width 64).
  func configuration(for backbone: Backbone, images: ImageSet, dataset: DatasetKind) throws -> ResNetConfiguration {
    var configuration: ResNetConfiguration
    if let known = backbone.configuration {
      if encoder.arch != nil || encoder.width != nil || encoder.stem != nil {
        throw ValidationError("--arch, --width and --stem are for weights from PyTorch; \(backbone.path) records its own")
      }
      configuration = known
      if let given = normalization.values(channels: known.inChannels) { configuration.normalization = given }
    } else {
      try normalization.check(channels: images.channels)
      configuration = ResNetConfiguration(
        depth: encoder.arch ?? .resnet18, stem: encoder.stem ?? (max(images.height, images.width) <= 64 ? .cifar : .imagenet),
        width: encoder.width ?? 64, inChannels: images.channels, classes: nil,
        normalization: normalization.values(channels: images.channels) ?? dataset.referenceNormalization)
    }
    guard configuration.inChannels == images.channels else {
      throw FileError(backbone.path, "the encoder takes \(configuration.inChannels) channel(s), the images have \(images.channels)")
    }
    return configuration
  }

  /// The loaded encoder, in evaluation mode.
  func encoder(for backbone: Backbone, images: ImageSet, dataset: DatasetKind) throws -> ResNet {
    var rng = RandomGenerator(seed: 0)
    let model = ResNet(try configuration(for: backbone, images: images, dataset: dataset), rng: &rng)
    try backbone.load(into: model)
    model.setTraining(false)
    return model
  }
}

extension DatasetOptions {
  /// The dataset to read: `--dataset`, or when it is not given and the backbone is a run,
  /// the run's own dataset, else Fashion-MNIST.
  func source(for backbone: Backbone) throws -> DatasetSource {
    if dataset == nil, let configuration = try backbone.run?.configuration() {
      return try TrainingData.source(configuration)
    }
    return source
  }
}
