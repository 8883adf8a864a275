/// A tensor a module learns. It is a leaf of the tape, so `backward()` accumulates into
/// `gradient`; optimizers update it in place. Inside `withFrozenParameters` it is read
/// as a constant instead.
public final class Parameter {
  /// The tape leaf holding the values.
  private var leaf: Tensor

  /// The current value: the tape leaf (use it directly in forward passes), or the same
  /// values off the tape inside `withFrozenParameters`.
  public var value: Tensor {
    ComputeContext.current.freezesParameters ? leaf.detached() : leaf
  }

  /// A parameter starting at `value` (detached from any tape).
  public init(_ value: Tensor) {
    leaf = value.detached().requiringGradient()
  }

  /// The shape of the value.
  public var shape: [Int] { leaf.shape }

  /// The gradient accumulated by `backward()` since the last `clearGradient()`.
  public var gradient: Tensor? { leaf.gradient }

  /// Forgets the accumulated gradient.
  public func clearGradient() { leaf.clearGradient() }

  /// Replaces the accumulated gradient (data-parallel training writes back the sum of
  /// every process's gradient here).
  public func setGradient(_ gradient: Tensor) {
    precondition(gradient.shape == leaf.shape, "Parameter.setGradient: shape \(gradient.shape) differs from \(leaf.shape)")
    leaf.node?.gradient = gradient.detached()
  }

  /// Replaces the value (same shape), e.g. when loading weights; the gradient is dropped.
  public func assign(_ newValue: Tensor) {
    precondition(newValue.shape == leaf.shape, "Parameter.assign: shape \(newValue.shape) differs from \(leaf.shape)")
    leaf = newValue.detached().requiringGradient()
  }

  /// Updates the values in place (optimizers); the accumulated gradient is kept.
  public func update(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
    try leaf.withUnsafeMutableBufferPointer(body)
  }
}

/// State a module keeps but does not learn (BatchNorm's running statistics). Integer
/// buffers (`num_batches_tracked`) hold whole numbers and are saved as int64.
public final class Buffer {
  /// The current value (never on a tape).
  public var value: Tensor {
    didSet { value = value.detached() }
  }
  /// Whether the buffer counts something and is stored as int64 in state dicts.
  public let isInteger: Bool

  /// A buffer holding `value` (detached from any tape).
  public init(_ value: Tensor, isInteger: Bool = false) {
    self.value = value.detached()
    self.isInteger = isInteger
  }
}
