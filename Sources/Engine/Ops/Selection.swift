extension Tensor {
  /// Elementwise choice: `a` where `mask` is non-zero, else `b` (PyTorch's `torch.where`);
  /// all three broadcast together. The mask carries no gradient. Unlike arithmetic
  /// masking, infinities in the unchosen operand do not leak in (masked fill with −∞ works).
  public static func select(_ mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = BroadcastLayout(BroadcastLayout(mask.shape, a.shape, op: "select").shape, b.shape, op: "select").shape
    let m = mask.detached().broadcast(to: shape)
    let x = a.broadcast(to: shape)
    let y = b.broadcast(to: shape)
    let out = TensorStorage(uninitializedCount: shape.product)
    for i in 0..<out.count { out.pointer[i] = m.storage.pointer[i] != 0 ? x.storage.pointer[i] : y.storage.pointer[i] }
    return result(out, shape: shape, inputs: [x, y]) { g in
      [
        x.requiresGradient ? Tensor(shape: shape, storage: mapBinary(g, m) { dy, keep in keep != 0 ? dy : 0 }) : nil,
        y.requiresGradient ? Tensor(shape: shape, storage: mapBinary(g, m) { dy, keep in keep != 0 ? 0 : dy }) : nil,
      ]
    }
  }

  /// 1 where this tensor is greater than `value`, else 0 (a mask without gradient).
  public func isGreater(than value: Float) -> Tensor {
    Tensor(shape: shape, storage: mapUnary(self) { $0 > value ? 1 : 0 })
  }

  /// 1 where this tensor is less than `value`, else 0.
  public func isLess(than value: Float) -> Tensor {
    Tensor(shape: shape, storage: mapUnary(self) { $0 < value ? 1 : 0 })
  }

  /// 1 where this tensor equals `value`, else 0.
  public func isEqual(to value: Float) -> Tensor {
    Tensor(shape: shape, storage: mapUnary(self) { $0 == value ? 1 : 0 })
  }

  /// 1 where the element is NaN, else 0.
  public func isNaNMask() -> Tensor {
    Tensor(shape: shape, storage: mapUnary(self) { $0.isNaN ? 1 : 0 })
  }

  /// Number of non-zero elements.
  public func countNonzero() -> Int {
    withUnsafeBufferPointer { $0.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
  }

  /// One-hot rows [labels.count, classes] for integer labels in 0..<classes.
  public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
    var values = [Float](repeating: 0, count: labels.count * classes)
    for (i, label) in labels.enumerated() {
      precondition(label >= 0 && label < classes, "oneHot: label \(label) out of range 0..<\(classes)")
      values[i * classes + label] = 1
    }
    return Tensor(shape: [labels.count, classes], scalars: values)
  }

  /// [n, n] mask with 1 where `labels[i] == labels[j]` (the positives of supervised
  /// contrastive losses, diagonal included).
  public static func equalityMask(_ labels: [Int]) -> Tensor {
    let n = labels.count
    var values = [Float](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n where labels[i] == labels[j] { values[i * n + j] = 1 } }
    return Tensor(shape: [n, n], scalars: values)
  }

  /// The identity matrix [n, n].
  public static func identity(_ n: Int) -> Tensor {
    var values = [Float](repeating: 0, count: n * n)
    for i in 0..<n { values[i * n + i] = 1 }
    return Tensor(shape: [n, n], scalars: values)
  }
}
