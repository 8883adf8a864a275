import Engine

/// False Negative Cancellation (Huynh et al., WACV 2022; shared/spec/methods.md §4): for
/// B images of V = 2 + S views each, anchors are view-major rows [V·B, d] (row v·B + i
/// is view v of image i) and contrast rows [M, d] begin with the same V·B rows in the
/// same order: the anchors themselves without a memory (§4.5), the EMA embeddings of
/// the batch followed by older memory rows with one (§4.6).
///
/// Detection (no gradient): for image i, s_i(m) = max_v (or mean_v) e^v_i · c_m over
/// the image's own views, its own rows excluded; the false negatives F_i are the rows
/// among the `topK` highest scores that also exceed `threshold`.
///
/// Loss for anchor row r = (a, i), logits ℓ = z_r·c_m/τ without the anchor's own row:
/// attraction (the released code)  L_r = logsumexp_m ℓ_m − mean_{p ∈ P_r ∪ F_i} ℓ_p;
/// elimination (the paper's other strategy) L_r = logsumexp_{m ∉ F_i} ℓ_m − mean_{p ∈ P_r} ℓ_p,
/// with P_r the image's other views; L = (2/V) Σ_a mean_i L_(a,i). With V = 2, no memory
/// and no false negatives this is SimCLR's NT-Xent summed over both directions.
public struct FalseNegativeCancellation: Sendable {
  public enum Strategy: String, Sendable, CaseIterable {
    case attraction, elimination
  }

  public enum Aggregation: String, Sendable, CaseIterable {
    case max, mean
  }

  public var temperature: Float
  public var topK: Int
  public var threshold: Float
  public var strategy: Strategy
  public var aggregation: Aggregation

  public init(
    temperature: Float = 0.1, topK: Int = 10, threshold: Float = 0.7, strategy: Strategy = .attraction,
    aggregation: Aggregation = .max
  ) {
    self.temperature = temperature
    self.topK = topK
    self.threshold = threshold
    self.strategy = strategy
    self.aggregation = aggregation
  }

  /// The detected false negatives of each image among the `contrast` rows, in decreasing
  /// score (ties to the smaller row), from its views' rows of `anchors` [V·B, d].
  public func detect(_ anchors: Tensor, contrast: Tensor, views: Int) -> [[Int]] {
    let n = anchors.shape[0]
    let m = contrast.shape[0]
    precondition(views >= 1 && n % views == 0 && m >= n, "FalseNegativeCancellation: rows must be views · batch")
    let b = n / views
    let similarity = withoutGradients { anchors.detached().matmul(contrast.detached(), transposeOther: true) }.scalars
    var detected = [[Int]]()
    detected.reserveCapacity(b)
    var scores = [Float](repeating: 0, count: m)
    for i in 0..<b {
      for c in 0..<m {
        var value: Float = aggregation == .max ? -.infinity : 0
        for v in 0..<views {
          let s = similarity[(v * b + i) * m + c]
          value = aggregation == .max ? Swift.max(value, s) : value + s / Float(views)
        }
        scores[c] = c < n && c % b == i ? -.infinity : value
      }
      let ranked = (0..<m).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
      detected.append(ranked.prefix(topK).filter { scores[$0] > threshold })
    }
    return detected
  }

  /// The loss of unit `anchors` [V·B, d] against unit `contrast` rows [M, d] given each
  /// image's false negatives (gradients flow through both; a memory comes detached).
  public func loss(_ anchors: Tensor, contrast: Tensor, views: Int, falseNegatives: [[Int]]) -> Tensor {
    let n = anchors.shape[0]
    let m = contrast.shape[0]
    let b = n / views
    precondition(falseNegatives.count == b, "FalseNegativeCancellation: detections for \(falseNegatives.count) images, batch of \(b)")
    var positive = [Float](repeating: 0, count: n * m)
    var denominator = [Float](repeating: 1, count: n * m)
    var counts = [Float](repeating: 0, count: n)
    for r in 0..<n {
      let i = r % b
      denominator[r * m + r] = 0
      for v in 0..<views where v * b + i != r { positive[r * m + v * b + i] = 1 }
      for c in falseNegatives[i] {
        switch strategy {
        case .attraction: positive[r * m + c] += 1
        case .elimination: denominator[r * m + c] = 0
        }
      }
      counts[r] = (0..<m).reduce(0) { $0 + positive[r * m + $1] }
    }
    var logits = anchors.matmul(contrast, transposeOther: true) * (1 / temperature)
    logits = logits - logits.max(alongAxis: 1, keepingDimension: true).detached()
    let logDenominator = (logits.exp() * Tensor(shape: [n, m], scalars: denominator)).sum(alongAxes: [1]).log()
    let meanPositive =
      (logits * Tensor(shape: [n, m], scalars: positive)).sum(alongAxes: [1]) / Tensor(shape: [n], scalars: counts.map { Swift.max($0, 1) })
    return (logDenominator - meanPositive).mean() * 2
  }
}
