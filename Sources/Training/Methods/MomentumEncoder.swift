import Engine
import RunFormat

/// A second copy of the model that follows it as an exponential moving average of the
/// parameters (MoCo's key encoder, FNC's EMA model): an exact copy of the online model
/// at the first step, then θ_m ← m·θ_m + (1 − m)·θ after every update. Its BatchNorm
/// buffers are its own, and it encodes in training mode (batch statistics) without a
/// tape, as the reference code does. In data-parallel training its batch statistics are
/// each rank's own (MoCo's shuffle-BN needs them so) unless it `followsSynchronization`,
/// then they are synchronized exactly when the online model's are (FNC's EMA model).
public final class MomentumEncoder {
  /// m of the moving average.
  public let momentum: Float
  /// Whether the copy's batch norm is synchronized across ranks whenever the model's is.
  public let followsSynchronization: Bool
  /// The copy; nil until the first step makes it.
  public private(set) var network: Network?
  private let architecture: ModelArchitecture

  public init(architecture: ModelArchitecture, momentum: Float, followsSynchronization: Bool = false) {
    self.architecture = architecture
    self.momentum = momentum
    self.followsSynchronization = followsSynchronization
  }

  /// The copy, made from `model` the first time.
  public func network(following model: Network) -> Network {
    if let network { return network }
    let copy = model.deepCopy()
    network = copy
    return copy
  }

  /// Embeddings of `images` in training mode, no tape, each of `groups` ranges of the
  /// batch with its own BatchNorm statistics (MoCo's shuffle-BN on one process).
  public func embeddings(_ images: Tensor, following model: Network, groups: [Range<Int>]? = nil) -> Tensor {
    let encoder = network(following: model)
    encoder.setTraining(true)
    if followsSynchronization { encoder.synchronizeBatchNorm(model.batchNormSynchronizer) }
    return withoutGradients {
      let ranges = groups ?? [0..<images.shape[0]]
      return Tensor.concatenate(ranges.map { encoder.forward(images.slice(alongAxis: 0, $0)).embeddings }, alongAxis: 0)
    }
  }

  /// Moves the copy toward `model` (nothing before the first step).
  public func update(toward model: Network) {
    network?.updateMovingAverage(toward: model, momentum: momentum)
  }

  /// The copy's weights, each name under `prefix`; empty before the first step.
  public func stateDict(prefix: String) -> [String: SafeTensor] {
    var state = [String: SafeTensor]()
    for (name, value) in network?.stateDict() ?? [:] { state[prefix + name] = value }
    return state
  }

  /// Restores the copy from the entries of `state` under `prefix` (none: no copy yet).
  public func loadStateDict(_ state: [String: SafeTensor], prefix: String) throws(StateDictError) {
    var own = [String: SafeTensor]()
    for (name, value) in state where name.hasPrefix(prefix) { own[String(name.dropFirst(prefix.count))] = value }
    guard !own.isEmpty else {
      network = nil
      return
    }
    var rng = RandomGenerator(seed: 0)
    let restored = Network(architecture, rng: &rng)
    try restored.loadStateDict(own, strict: true)
    network = restored
  }
}
