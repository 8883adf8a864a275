#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Per-example softmax cross-entropy of a batch of logits, and its gradient with respect
/// to the logits (softmax − one-hot, per example: the loss PGD and APGD-CE maximise).
///
/// Computed in `Double` with the max-logit shift, so saturated, confident examples give
/// a finite loss; the gradient is returned in `Float` for the model's backward pass.
public struct CrossEntropy {
  /// Loss of each example.
  public let losses: [Double]
  /// ∂(Σᵢ lossᵢ)/∂logits, `[count, classCount]`.
  public let logitGradient: [Float]

  /// Cross-entropy of `logits` (`[labels.count, classCount]`) against `labels`.
  public init(logits: [Float], labels: [Int], classCount: Int) {
    let count = labels.count
    precondition(logits.count == count * classCount, "CrossEntropy: logits do not match labels")
    var losses = [Double](repeating: 0, count: count)
    var gradient = [Float](repeating: 0, count: logits.count)
    var exps = [Double](repeating: 0, count: classCount)
    for row in 0..<count {
      let base = row * classCount
      var top = -Double.infinity
      for c in 0..<classCount { top = max(top, Double(logits[base + c])) }
      var sum = 0.0
      for c in 0..<classCount {
        exps[c] = exp(Double(logits[base + c]) - top)
        sum += exps[c]
      }
      losses[row] = log(sum) + top - Double(logits[base + labels[row]])
      for c in 0..<classCount { gradient[base + c] = Float(exps[c] / sum) }
      gradient[base + labels[row]] -= 1
    }
    self.losses = losses
    self.logitGradient = gradient
  }
}
