import ArgumentParser
import Engine

extension ResNetDepth: ExpressibleByArgument {}
extension ResNetStem: ExpressibleByArgument {}

/// A comma-separated list of numbers on the command line ("0.4914,0.4822,0.4465").
struct FloatList: ExpressibleByArgument, Equatable {
  var values: [Float]

  init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
    var values = [Float]()
    for part in parts {
      guard let value = Float(part.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
      values.append(value)
    }
    guard !values.isEmpty else { return nil }
    self.values = values
  }

  var defaultValueDescription: String { values.map { String($0) }.joined(separator: ",") }
}

/// The input normalisation a model applies inside itself: `--normalize-mean --normalize-std`.
struct NormalizationOptions: ParsableArguments {
  @Option(help: "Per-channel mean subtracted inside the model (one value, or one per channel); inputs stay in [0, 1].")
  var normalizeMean: FloatList?

  @Option(help: "Per-channel std the model divides by (one value, or one per channel).")
  var normalizeStd: FloatList?

  func validate() throws {
    if (normalizeMean == nil) != (normalizeStd == nil) {
      throw ValidationError("--normalize-mean and --normalize-std go together")
    }
    if let std = normalizeStd, std.values.contains(where: { $0 <= 0 }) {
      throw ValidationError("--normalize-std values must be positive")
    }
  }

  /// Fails unless each list has 1 or `channels` values.
  func check(channels: Int) throws {
    for (name, list) in [("--normalize-mean", normalizeMean), ("--normalize-std", normalizeStd)] {
      if let list, list.values.count != 1 && list.values.count != channels {
        throw ValidationError("\(name) needs 1 or \(channels) values (--in-channels), got \(list.values.count)")
      }
    }
  }

  /// The per-channel mean and std for `channels` channels (one value repeats), if given.
  func values(channels: Int) -> (mean: [Float], std: [Float])? {
    func perChannel(_ list: FloatList) -> [Float] {
      list.values.count == 1 ? Array(repeating: list.values[0], count: channels) : list.values
    }
    return normalizeMean.flatMap { mean in normalizeStd.map { (mean: perChannel(mean), std: perChannel($0)) } }
  }
}

/// Which tensors of a weights file to load: `--state-dict-key` (a PyTorch checkpoint's
/// entry) and `--strip-prefix` (a wrapper's prefix). `clens inspect FILE` shows both.
struct WeightsEntryOptions: ParsableArguments {
  @Option(
    help:
      "A PyTorch checkpoint's entry holding the state dict (e.g. state_dict, model; a dotted path for nested dicts). (default: the top level if it holds tensors, else the first of state_dict, model, net, encoder_q, model_state_dict, module)"
  )
  var stateDictKey: String?

  @Option(help: "Use only weights whose names start with this prefix, with it removed (e.g. module.encoder_q.).")
  var stripPrefix: String?
}

/// The shape of a ResNet encoder: `--arch --width --stem`. Unset options take the
/// defaults of the command (torchvision's for a model a user brings; scaled to the
/// dataset for training).
struct EncoderOptions: ParsableArguments {
  @Option(help: "Architecture: resnet18, resnet34 or resnet50. (default: resnet18)")
  var arch: ResNetDepth?

  @Option(help: "Base width: channels of the first stage, torchvision's is 64. (default: 64; pretrain: 16 for images of 32 px or less)")
  var width: Int?

  @Option(help: "Stem: imagenet (7x7 stride-2 conv + max-pool) or cifar (3x3 stride-1 conv, no max-pool). (default: imagenet; pretrain: cifar for images of 64 px or less)")
  var stem: ResNetStem?

  func validate() throws {
    if let width, width < 1 { throw ValidationError("--width must be at least 1") }
  }
}

/// The options that describe a ResNet and its weights, shared by every command that
/// rebuilds a model from a safetensors file (`features`, `robustness`):
/// `--weights FILE --arch resnet18 --width 16 --in-channels 1 --num-classes 10 --stem cifar
/// --normalize-mean 0.2860 --normalize-std 0.3530 [--strip-prefix P]`.
///
/// ```swift
/// @OptionGroup var model: ModelOptions
/// let resnet = try model.loadModel()          // strict load, eval mode
/// ```
struct ModelOptions: ParsableArguments {
  @Option(
    help:
      "Weights with torchvision names: a safetensors state dict, or a PyTorch checkpoint (.pth, .pth.tar, .pt, .pkl from torch.save; read without executing it)."
  )
  var weights: String?

  @OptionGroup var encoder: EncoderOptions

  @Option(help: "Input channels (1 for Fashion-MNIST, 3 for RGB).")
  var inChannels: Int = 3

  @Option(help: "Classes of the final fc layer; 0 for a backbone without fc.")
  var numClasses: Int = 10

  @OptionGroup var normalization: NormalizationOptions

  @OptionGroup var entry: WeightsEntryOptions

  func validate() throws {
    if inChannels < 1 { throw ValidationError("--in-channels must be at least 1") }
    if numClasses < 0 { throw ValidationError("--num-classes must be 0 (no fc) or more") }
    try normalization.check(channels: inChannels)
  }

  /// The model these options describe.
  var configuration: ResNetConfiguration {
    ResNetConfiguration(
      depth: encoder.arch ?? .resnet18, stem: encoder.stem ?? .imagenet, width: encoder.width ?? 64, inChannels: inChannels,
      classes: numClasses > 0 ? numClasses : nil, normalization: normalization.values(channels: inChannels))
  }

  /// Builds the model and loads `--weights` strictly; the model is in evaluation mode.
  func loadModel() throws -> ResNet {
    guard let weights else { throw ValidationError("--weights is needed (the model's safetensors file or PyTorch checkpoint)") }
    var rng = RandomGenerator(seed: 0)
    let model = ResNet(configuration, rng: &rng)
    try model.loadWeights(from: weights, strict: true, stripPrefix: entry.stripPrefix, stateDictKey: entry.stateDictKey)
    model.setTraining(false)
    return model
  }
}
