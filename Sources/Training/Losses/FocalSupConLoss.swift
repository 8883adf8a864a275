import Engine

/// Core-tuning's focal supervised contrastive loss (`focal_SupConLoss`, shared/spec/
/// methods.md §1.4) on N unit embeddings with group ids (rows of one group are positives):
///
///     log p_ij = z_i·z_j/τ − log Σ_{k≠i} exp(z_i·z_k/τ)     (self out of the denominator)
///     w_ij     = 1 − p_ij                                  (focal weight, γ = 1, on the tape)
///     r_i      = Σ_{j≠i, g_j = g_i} w_ij · log p_ij / n_i
///     L        = −(τ/τ_b) · Σ_i r_i / |{i with a positive}|
///
/// with n_i = N (`.rows`, the released code) or the anchor's positive count
/// (`.positives`, SupCon's). A batch in which no anchor has a positive gives 0 (the
/// released code turns that NaN into 0).
public struct FocalSupConLoss: Sendable {
  /// The per-anchor normaliser n_i.
  public enum Normalizer: String, Sendable, CaseIterable {
    /// 1/N over all rows (the released code).
    case rows
    /// 1/|P(i)|, as SupCon.
    case positives
  }

  public var temperature: Float
  public var baseTemperature: Float
  public var normalizer: Normalizer

  public init(temperature: Float = 0.07, baseTemperature: Float = 0.07, normalizer: Normalizer = .rows) {
    self.temperature = temperature
    self.baseTemperature = baseTemperature
    self.normalizer = normalizer
  }

  /// The loss of unit `embeddings` [N, d] grouped by `groups` (N ids), on the tape.
  public func callAsFunction(_ embeddings: Tensor, groups: [Int]) -> Tensor {
    let n = embeddings.shape[0]
    precondition(embeddings.rank == 2 && groups.count == n, "FocalSupConLoss: \(groups.count) group ids for \(n) rows")
    var positive = [Float](repeating: 0, count: n * n)
    var notSelf = [Float](repeating: 1, count: n * n)
    var normalizers = [Float](repeating: Float(n), count: n)
    var anchorsWithPositives = 0
    for i in 0..<n {
      notSelf[i * n + i] = 0
      var count = 0
      for j in 0..<n where j != i && groups[j] == groups[i] {
        positive[i * n + j] = 1
        count += 1
      }
      if count > 0 { anchorsWithPositives += 1 }
      if normalizer == .positives { normalizers[i] = Float(max(count, 1)) }
    }
    guard anchorsWithPositives > 0 else { return Tensor(0) }
    var logits = embeddings.matmul(embeddings, transposeOther: true) * (1 / temperature)
    logits = logits - logits.max(alongAxis: 1, keepingDimension: true).detached()
    let selfMask = Tensor(shape: [n, n], scalars: notSelf)
    let logProbability = logits - (logits.exp() * selfMask).sum(alongAxes: [1], keepingDimensions: true).log()
    let weight = 1 - logProbability.exp()
    let perAnchor =
      (weight * Tensor(shape: [n, n], scalars: positive) * logProbability).sum(alongAxes: [1])
      / Tensor(shape: [n], scalars: normalizers)
    return perAnchor.sum() * (-temperature / baseTemperature / Float(anchorsWithPositives))
  }
}
