/// Updates a model's parameters from their accumulated gradients.
///
/// The training loop is PyTorch's: `loss.backward()` accumulates gradients (call it on
/// several micro-batches, each loss divided by their number, for gradient
/// accumulation), then `step()` updates and `clearGradients()` starts over. Parameters
/// without a gradient are skipped, as in PyTorch.
public protocol Optimizer: AnyObject {
  /// The learning rate of the next `step()` (set it from a `LearningRateSchedule`).
  var learningRate: Float { get set }
  /// Applies one update to every parameter that has a gradient.
  func step()
  /// The parameters this optimizer updates.
  var parameters: [Parameter] { get }
  /// Everything besides the parameters that later updates depend on (momentum buffers,
  /// Adam's moments and step counts): saving it with a checkpoint and restoring it
  /// continues a run exactly.
  var state: OptimizerState { get set }
}

extension Optimizer {
  /// Forgets the gradients of all parameters (PyTorch's `zero_grad(set_to_none=True)`).
  public func clearGradients() {
    for parameter in parameters { parameter.clearGradient() }
  }
}

/// Parameters that share optimizer settings (PyTorch's `param_groups`): e.g. BatchNorm
/// scales and shifts and biases without weight decay, as SimCLR and solo-learn train.
public struct ParameterGroup {
  /// The parameters of the group.
  public var parameters: [Parameter]
  /// Weight decay of the group; nil uses the optimizer's.
  public var weightDecay: Float?
  /// LARS only: whether the trust ratio scales the group's updates (SimCLR excludes
  /// BatchNorm parameters and biases from weight decay and adaptation alike).
  public var adaptsLearningRate: Bool

  public init(_ parameters: [Parameter], weightDecay: Float? = nil, adaptsLearningRate: Bool = true) {
    self.parameters = parameters
    self.weightDecay = weightDecay
    self.adaptsLearningRate = adaptsLearningRate
  }

  /// Two groups: parameters with more than one dimension (convolution and linear
  /// weights) with the optimizer's weight decay, and one-dimensional ones (BatchNorm
  /// scales and shifts, biases) without weight decay or LARS adaptation.
  public static func excludingNormAndBias(_ parameters: [Parameter]) -> [ParameterGroup] {
    [
      ParameterGroup(parameters.filter { $0.shape.count > 1 }),
      ParameterGroup(parameters.filter { $0.shape.count <= 1 }, weightDecay: 0, adaptsLearningRate: false),
    ]
  }

  /// The groups' parameters in order, each with its weight decay and adaptation flag.
  static func flatten(_ groups: [ParameterGroup], defaultWeightDecay: Float) -> (
    parameters: [Parameter], weightDecays: [Float], adapts: [Bool]
  ) {
    var result: (parameters: [Parameter], weightDecays: [Float], adapts: [Bool]) = ([], [], [])
    for group in groups {
      for parameter in group.parameters {
        result.parameters.append(parameter)
        result.weightDecays.append(group.weightDecay ?? defaultWeightDecay)
        result.adapts.append(group.adaptsLearningRate)
      }
    }
    return result
  }
}

/// An optimizer's per-parameter state, by slot: `buffers["momentum_buffer"][i]` belongs
/// to `parameters[i]` (nil before its first update), `counts["step"][i]` likewise. The
/// slot names are PyTorch's (`momentum_buffer`, `exp_avg`, `exp_avg_sq`, `step`).
public struct OptimizerState: Sendable, Equatable {
  /// Float buffers, one per parameter, by slot name.
  public var buffers: [String: [[Float]?]]
  /// Integer counters, one per parameter, by slot name.
  public var counts: [String: [Int]]

  public init(buffers: [String: [[Float]?]] = [:], counts: [String: [Int]] = [:]) {
    self.buffers = buffers
    self.counts = counts
  }
}

/// Runs `body(parameter, value, gradient, stateIndex)` for each parameter with a gradient,
/// with raw buffers for in-place updates.
func forEachUpdate(
  _ parameters: [Parameter],
  _ body: (Int, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
) {
  for (index, parameter) in parameters.enumerated() {
    guard let gradient = parameter.gradient else { continue }
    gradient.withUnsafeBufferPointer { g in
      parameter.update { w in body(index, w, g) }
    }
  }
}

/// Per-parameter state buffers (momentum, Adam moments), created on first use.
struct SlotStorage {
  private(set) var slots: [[Float]?]

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  /// Restores saved slots (one per parameter, nil where none was made yet).
  init(restoring slots: [[Float]?]?, count: Int, sizes: [Int]) {
    let restored = slots ?? Array(repeating: nil, count: count)
    precondition(
      restored.count == count && zip(restored, sizes).allSatisfy { $0 == nil || $0!.count == $1 },
      "optimizer state: slots do not match the parameters")
    self.slots = restored
  }

  /// Calls `body` with the slot of parameter `index` and whether it was just created
  /// (filled with zeros).
  mutating func with<R>(_ index: Int, count: Int, _ body: (UnsafeMutableBufferPointer<Float>, Bool) -> R) -> R {
    let fresh = slots[index] == nil
    if fresh { slots[index] = [Float](repeating: 0, count: count) }
    return slots[index]!.withUnsafeMutableBufferPointer { body($0, fresh) }
  }
}
