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
}

extension Optimizer {
  /// Forgets the gradients of all parameters (PyTorch's `zero_grad(set_to_none=True)`).
  public func clearGradients() {
    for parameter in parameters { parameter.clearGradient() }
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
  private var slots: [[Float]?]

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  /// Calls `body` with the slot of parameter `index` and whether it was just created
  /// (filled with zeros).
  mutating func with<R>(_ index: Int, count: Int, _ body: (UnsafeMutableBufferPointer<Float>, Bool) -> R) -> R {
    let fresh = slots[index] == nil
    if fresh { slots[index] = [Float](repeating: 0, count: count) }
    return slots[index]!.withUnsafeMutableBufferPointer { body($0, fresh) }
  }
}
