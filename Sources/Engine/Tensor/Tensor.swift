import Foundation

/// An n-dimensional array of Float32 values in row-major (C) order, with reverse-mode
/// automatic differentiation.
///
/// Tensors are values: copying one is cheap (the storage is shared) and an op never
/// changes its inputs. A tensor that `requiresGradient` remembers how it was made
/// (define-by-run, like PyTorch), so `gradients(of:wrt:)` and `backward()` can run the
/// chain rule back to its inputs. Images are NCHW.
///
/// ```swift
/// var rng = RandomGenerator(seed: 0)
/// let w = Tensor(randomNormal: [3, 2], using: &rng).requiringGradient()
/// let x = Tensor(shape: [1, 3], scalars: [1, 2, 3])
/// let loss = x.matmul(w).relu().sum()
/// let (dw) = gradients(of: loss, wrt: [w])[0]           // [3, 2]
/// ```
///
/// Thread safety: a tensor's values may be read from any thread. Recording and running
/// the tape of one computation must stay on one thread at a time.
public struct Tensor: @unchecked Sendable {
  /// The size of each dimension; `[]` for a scalar.
  public let shape: [Int]
  var storage: TensorStorage
  var node: GradientNode?

  init(shape: [Int], storage: TensorStorage, node: GradientNode? = nil) {
    precondition(shape.reduce(1, *) == storage.count, "Tensor: shape \(shape) does not match \(storage.count) values")
    self.shape = shape
    self.storage = storage
    self.node = node
  }

  /// A tensor of the given shape holding `scalars` in row-major order.
  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    precondition(shape.reduce(1, *) == scalars.count, "Tensor: shape \(shape) needs \(shape.reduce(1, *)) values, got \(scalars.count)")
    self.init(shape: shape, storage: TensorStorage(copying: scalars))
  }

  /// A tensor of the given shape filled from a buffer of `shape.product` values.
  public init(shape: [Int], copying buffer: UnsafeBufferPointer<Float>) {
    precondition(shape.reduce(1, *) == buffer.count, "Tensor: shape \(shape) needs \(shape.reduce(1, *)) values, got \(buffer.count)")
    self.init(shape: shape, storage: TensorStorage(copying: buffer))
  }

  /// A rank-0 tensor holding one value.
  public init(_ scalar: Float) {
    self.init(shape: [], storage: TensorStorage(copying: CollectionOfOne(scalar)))
  }

  /// A tensor with every element equal to `value`.
  public init(repeating value: Float, shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *), repeating: value))
  }

  /// A tensor of zeros.
  public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

  /// A tensor of ones.
  public init(ones shape: [Int]) { self.init(repeating: 1, shape: shape) }

  /// A tensor of independent normal draws N(mean, std²) from `rng`.
  public init(randomNormal shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) {
    let count = shape.reduce(1, *)
    let storage = TensorStorage(uninitializedCount: count)
    for i in 0..<count { storage.pointer[i] = Float(rng.normal(mean: Double(mean), std: Double(std))) }
    self.init(shape: shape, storage: storage)
  }

  /// A tensor of independent uniform draws in [low, high) from `rng`.
  public init(randomUniform shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) {
    let count = shape.reduce(1, *)
    let storage = TensorStorage(uninitializedCount: count)
    for i in 0..<count { storage.pointer[i] = Float(rng.uniform(Double(low), Double(high))) }
    self.init(shape: shape, storage: storage)
  }

  /// Number of dimensions.
  public var rank: Int { shape.count }

  /// Number of elements.
  public var count: Int { storage.count }

  /// The values in row-major order.
  public var scalars: [Float] { Array(storage.buffer) }

  /// The value of a one-element tensor.
  public var scalar: Float {
    precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
    return storage.pointer[0]
  }

  /// Calls `body` with the values in row-major order.
  public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
    try body(UnsafeBufferPointer(storage.buffer))
  }

  /// Calls `body` with writable values, copying the storage first when another tensor
  /// shares it. Used by optimizers to update parameters in place; the tape entry (if any)
  /// is kept, so gradients already accumulated stay attached.
  public mutating func withUnsafeMutableBufferPointer<Result>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result
  ) rethrows -> Result {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    return try body(storage.buffer)
  }

  /// The element at a multi-dimensional index (slow: for tests and small lookups).
  public subscript(_ index: Int...) -> Float {
    precondition(index.count == rank, "Tensor subscript: \(index.count) indices for rank \(rank)")
    var offset = 0
    for (i, (value, size)) in zip(index, shape).enumerated() {
      precondition(value >= 0 && value < size, "Tensor subscript: index \(value) out of range for dimension \(i) of size \(size)")
      offset = offset * size + value
    }
    return storage.pointer[offset]
  }

  /// True when every element is finite (no NaN, no ±infinity).
  public var isFinite: Bool {
    let buffer = storage.buffer
    var bad = false
    for value in buffer where !value.isFinite { bad = true; break }
    return !bad
  }
}

extension Tensor: CustomStringConvertible {
  /// Shape and (for small tensors) values, for debugging.
  public var description: String {
    let values = count <= 16 ? scalars.map { String($0) }.joined(separator: ", ") : "\(count) values"
    return "Tensor(shape: \(shape), [\(values)]\(requiresGradient ? ", requiresGradient" : ""))"
  }
}

/// Shape helpers shared by the ops.
extension Collection where Element == Int {
  /// The product of the dimensions (1 for an empty shape).
  var product: Int { reduce(1, *) }
}

/// Resolves a possibly negative axis (-1 = last) against a rank.
func normalizedAxis(_ axis: Int, rank: Int, _ op: String) -> Int {
  let resolved = axis < 0 ? axis + rank : axis
  precondition(resolved >= 0 && resolved < rank, "\(op): axis \(axis) out of range for rank \(rank)")
  return resolved
}
