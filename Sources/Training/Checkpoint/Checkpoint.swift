import Engine
import RunFormat

/// A training checkpoint: the model's parameters and buffers (`encoder.*`, `head.*`,
/// `classifier.*`), the optimizer's state (`optimizer.<slot>.<parameter>`), the method's
/// state (`method.*`: MoCo's key encoder and queue, FNC's EMA model and memory) and, in the safetensors
/// metadata, the architecture, method, step, epoch and seed, so a checkpoint rebuilds
/// its own model and a run resumes from it exactly.
public struct Checkpoint {
  /// What the checkpoint says about itself.
  public var metadata: CheckpointMetadata
  /// Model tensors by state-dict name.
  public var model: [String: SafeTensor]
  /// Optimizer tensors by `<slot>.<parameter name>` (the `optimizer.` prefix removed).
  public var optimizer: [String: SafeTensor]
  /// Method tensors (the `method.` prefix removed).
  public var method: [String: SafeTensor]
  /// Where it was read from.
  public var path: String

  private static let optimizerPrefix = "optimizer."
  private static let methodPrefix = "method."

  /// Writes `model`, `optimizer` (its parameters named as in `model`) and `method`'s
  /// state atomically.
  public static func write(
    model: Network, optimizer: any Optimizer, method: (any TrainingMethod)? = nil, metadata: CheckpointMetadata,
    to path: String
  ) throws(FileError) {
    var tensors = model.stateDict()
    for (key, value) in optimizer.stateDict(names: parameterNames(of: optimizer, in: model)) {
      tensors[optimizerPrefix + key] = value
    }
    for (key, value) in method?.stateDict() ?? [:] { tensors[methodPrefix + key] = value }
    try SafeTensorsFile(tensors: tensors, metadata: try metadata.strings).write(to: path)
  }

  /// Reads a checkpoint; a file without ContrastLens metadata is an error naming it.
  public static func read(_ path: String) throws(FileError) -> Checkpoint {
    let file = try SafeTensorsFile.read(path)
    let metadata = try CheckpointMetadata(strings: file.metadata, path: path)
    var model = [String: SafeTensor]()
    var optimizer = [String: SafeTensor]()
    var method = [String: SafeTensor]()
    for (key, value) in file.tensors {
      if key.hasPrefix(optimizerPrefix) {
        optimizer[String(key.dropFirst(optimizerPrefix.count))] = value
      } else if key.hasPrefix(methodPrefix) {
        method[String(key.dropFirst(methodPrefix.count))] = value
      } else {
        model[key] = value
      }
    }
    return Checkpoint(metadata: metadata, model: model, optimizer: optimizer, method: method, path: path)
  }

  /// The model the checkpoint holds, loaded strictly (every tensor present, finite, of
  /// the right shape), in evaluation mode.
  public func buildModel() throws(FileError) -> Network {
    var rng = RandomGenerator(seed: 0)
    let built = Network(metadata.architecture, rng: &rng)
    try restoreModel(built)
    built.setTraining(false)
    return built
  }

  /// Copies the model tensors into `model` (same architecture), strictly.
  public func restoreModel(_ target: Network) throws(FileError) {
    do {
      try target.loadStateDict(model, strict: true)
    } catch {
      throw FileError(path, error.description)
    }
  }

  /// Restores `optimizer`'s state (its parameters named as in `model`).
  public func restoreOptimizer(_ target: any Optimizer, model: Network) throws(FileError) {
    do {
      try target.loadStateDict(optimizer, names: Self.parameterNames(of: target, in: model))
    } catch {
      throw FileError(path, "optimizer state does not fit: " + error.details)
    }
  }

  /// Restores `target`'s state (MoCo's key encoder and queue, FNC's EMA model and memory).
  public func restoreMethod(_ target: any TrainingMethod) throws(FileError) {
    do {
      try target.loadStateDict(method)
    } catch {
      throw FileError(path, "method state does not fit: " + error.details)
    }
  }

  /// The state-dict name of each of the optimizer's parameters.
  static func parameterNames(of optimizer: any Optimizer, in model: Network) -> [String] {
    let names = Dictionary(
      model.namedParameters().map { (ObjectIdentifier($0.parameter), $0.name) }, uniquingKeysWith: { a, _ in a })
    return optimizer.parameters.map { parameter in
      guard let name = names[ObjectIdentifier(parameter)] else {
        preconditionFailure("Checkpoint: the optimizer updates a parameter the model does not have")
      }
      return name
    }
  }
}
