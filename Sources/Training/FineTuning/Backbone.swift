import Engine
import Foundation
import RunFormat

/// The encoder fine-tuning starts from: a ContrastLens run or checkpoint (which names its
/// own architecture), or weights from PyTorch with torchvision's names — safetensors or
/// a `torch.save` checkpoint — whose architecture the user states.
public struct Backbone: Sendable {
  /// The encoder's tensors under torchvision's names (`conv1.weight`, `layer1.0.bn1.running_mean`).
  public var state: [String: SafeTensor]
  /// The encoder's architecture, when the source records it (runs and checkpoints).
  public var configuration: ResNetConfiguration?
  /// "run", "checkpoint" or "weights".
  public var kind: String
  /// The file the tensors were read from.
  public var path: String
  /// The run directory, when the backbone is a run's checkpoint.
  public var run: RunDirectory?
  /// A SelfCon checkpoint's sub-network: where it reads, and its tensors without `exit.`.
  public var subNetwork: (exit: ModelArchitecture.Exit, state: [String: SafeTensor])?

  public init(
    state: [String: SafeTensor], configuration: ResNetConfiguration?, kind: String, path: String, run: RunDirectory?,
    subNetwork: (exit: ModelArchitecture.Exit, state: [String: SafeTensor])? = nil
  ) {
    self.state = state
    self.configuration = configuration
    self.kind = kind
    self.path = path
    self.run = run
    self.subNetwork = subNetwork
  }

  /// Reads the backbone at `source`: a run directory (its checkpoint `checkpointName`,
  /// default `last`), a ContrastLens checkpoint, plain safetensors weights, or a PyTorch
  /// checkpoint (its state dict at `stateDictKey`, or found by default), with
  /// `stripPrefix` removed from the keys of weights (e.g. `module.encoder_q.`).
  public static func load(
    _ source: String, checkpointName: String? = nil, stripPrefix: String? = nil, stateDictKey: String? = nil
  ) throws(FileError) -> Backbone {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
      throw FileError(source, "no such run directory or weights file")
    }
    if isDirectory.boolValue {
      let run = try RunDirectory(source)
      let path = run.checkpoint(checkpointName ?? "last")
      guard FileManager.default.fileExists(atPath: path) else {
        throw FileError(path, "no such checkpoint (has the run saved one yet?)")
      }
      var backbone = try fromCheckpoint(try Checkpoint.read(path), kind: "run")
      backbone.run = run
      return backbone
    }
    let tensors: [String: SafeTensor]
    if WeightsFile.isPyTorch(source) {
      tensors = try PyTorchCheckpoint.read(source).stateDict(key: stateDictKey)
    } else {
      let file = try SafeTensorsFile.read(source)
      if file.metadata["format"] == CheckpointMetadata.format {
        return try fromCheckpoint(try Checkpoint.read(source), kind: "checkpoint")
      }
      if let stateDictKey { throw FileError(source, "is a safetensors file, which has no entry '\(stateDictKey)' to choose") }
      tensors = file.tensors
    }
    var state = tensors
    if let stripPrefix, !stripPrefix.isEmpty {
      state = [:]
      for (key, value) in tensors where key.hasPrefix(stripPrefix) { state[String(key.dropFirst(stripPrefix.count))] = value }
      guard !state.isEmpty else { throw FileError(source, "no tensor names start with '\(stripPrefix)' (--strip-prefix)") }
    }
    return Backbone(state: state, configuration: nil, kind: "weights", path: source, run: nil)
  }

  private static func fromCheckpoint(_ checkpoint: Checkpoint, kind: String) throws(FileError) -> Backbone {
    func stripped(_ prefix: String) -> [String: SafeTensor] {
      var state = [String: SafeTensor]()
      for (key, value) in checkpoint.model where key.hasPrefix(prefix) { state[String(key.dropFirst(prefix.count))] = value }
      return state
    }
    let architecture = checkpoint.metadata.architecture
    return Backbone(
      state: stripped("encoder."), configuration: architecture.encoder, kind: kind, path: checkpoint.path, run: nil,
      subNetwork: architecture.exit.map { ($0, stripped("exit.")) })
  }

  /// The SelfCon sub-network of the checkpoint, built for `encoder` and loaded, in
  /// evaluation mode; nil for a backbone without one.
  public func loadSubNetwork(encoder: ResNetConfiguration) throws(FileError) -> SubNetworkExit? {
    guard let subNetwork else { return nil }
    var rng = RandomGenerator(seed: 0)
    let branch = ExitBranch(subNetwork.exit, encoder: encoder, rng: &rng)
    do {
      try branch.loadStateDict(subNetwork.state, strict: true)
    } catch {
      throw FileError(path, "the sub-network does not fit its architecture: " + error.details)
    }
    branch.setTraining(false)
    return SubNetworkExit(branch: branch, stage: subNetwork.exit.stage)
  }

  /// Loads the backbone into `encoder`: every encoder tensor must be present, of the
  /// right shape and finite; extra tensors are allowed only for a classifier or head of
  /// the source (`fc.*`), which fine-tuning replaces. The error lists every problem.
  public func load(into encoder: ResNet) throws(FileError) {
    let tensors = state.filter { !$0.key.hasPrefix("fc.") }
    do {
      try encoder.loadStateDict(tensors, strict: true)
    } catch {
      throw FileError(path, "the backbone does not fit the encoder: " + error.details)
    }
  }
}
