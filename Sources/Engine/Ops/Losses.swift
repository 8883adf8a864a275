extension Tensor {
  /// Mean cross-entropy of [N, C] logits against integer class labels (PyTorch's
  /// `F.cross_entropy`), fused with log-softmax for stability.
  public func crossEntropy(labels: [Int]) -> Tensor {
    precondition(rank == 2 && labels.count == shape[0], "crossEntropy: logits \(shape) and \(labels.count) labels")
    let classes = shape[1]
    for label in labels { precondition(label >= 0 && label < classes, "crossEntropy: label \(label) out of range 0..<\(classes)") }
    let logProbabilities = logSoftmax(alongAxis: 1)
    let picked = logProbabilities.gather(alongAxis: 1, indices: labels, indexShape: [labels.count, 1])
    return -picked.mean()
  }

  /// Mean cross-entropy of [N, C] logits against soft targets [N, C] (each row a
  /// distribution, e.g. mixup labels): −(1/N) Σᵢ Σ_c Y_ic log softmax(xᵢ)_c.
  public func crossEntropy(softTargets targets: Tensor) -> Tensor {
    precondition(rank == 2 && targets.shape == shape, "crossEntropy: logits \(shape) and targets \(targets.shape)")
    return -(logSoftmax(alongAxis: 1) * targets).sum() / Float(shape[0])
  }
}

/// A loss or other value that came out NaN or infinite: what it was and where.
public struct NumericError: Error, CustomStringConvertible, Sendable {
  /// What was being computed ("loss at step 120").
  public let context: String
  /// An error about `context`.
  public init(_ context: String) { self.context = context }
  /// One line for the user.
  public var description: String { "\(context) is not finite (NaN or infinity)" }
}

extension Tensor {
  /// Throws `NumericError` naming `context` when any element is NaN or infinite.
  public func checkFinite(_ context: String) throws(NumericError) {
    if !isFinite { throw NumericError(context) }
  }
}
