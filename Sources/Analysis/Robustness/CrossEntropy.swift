#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Per-example softmax cross-entropy of a batch of logits, and its gradient with respect
/// to the logits (softmax − one-hot, per example: the loss PGD and APGD-CE maximise).
///
/// Computed in `Double` with the max-logit shift. The label's entry is −Σ_{c≠y} p_c rather
/// than p_y − 1, so a confident example (p_y within 6e-8 of 1, where PyTorch's float32
/// softmax − 1 rounds to 0) still gets the exact gradient direction instead of a
/// vanishing one; the gradient is returned in `Float` for the model's backward pass.
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
      let label = labels[row]
      var others = 0.0
      for c in 0..<classCount where c != label {
        gradient[base + c] = Float(exps[c] / sum)
        others += exps[c]
      }
      gradient[base + label] = Float(-others / sum)
      // log(Σ exp) − z_y, as log1p so that confident examples keep their tiny loss.
      losses[row] =
        exps[label] > 0
        ? log1p(others / exps[label]) : log(sum) + top - Double(logits[base + label])
    }
    self.losses = losses
    self.logitGradient = gradient
  }
}
