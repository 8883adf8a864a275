/// A tensor a module learns. It is always a leaf of the tape, so `backward()`
/// accumulates into `gradient`; optimizers update it in place.
public final class Parameter {
  /// The current value (a tape leaf; use it directly in forward passes).
  public private(set) var value: Tensor

  /// A parameter starting at `value` (detached from any tape).
  public init(_ value: Tensor) {
    self.value = value.detached().requiringGradient()
  }

  /// The shape of the value.
  public var shape: [Int] { value.shape }

  /// The gradient accumulated by `backward()` since the last `clearGradient()`.
  public var gradient: Tensor? { value.gradient }

  /// Forgets the accumulated gradient.
  public func clearGradient() { value.clearGradient() }

  /// Replaces the value (same shape), e.g. when loading weights; the gradient is dropped.
  public func assign(_ newValue: Tensor) {
    precondition(newValue.shape == value.shape, "Parameter.assign: shape \(newValue.shape) differs from \(value.shape)")
    value = newValue.detached().requiringGradient()
  }

  /// Updates the values in place (optimizers); the accumulated gradient is kept.
  public func update(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
    try value.withUnsafeMutableBufferPointer(body)
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

  public init(_ value: Tensor, isInteger: Bool = false) {
    self.value = value.detached()
    self.isInteger = isInteger
  }
}
