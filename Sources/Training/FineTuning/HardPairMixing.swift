import Engine

/// Core-tuning's generated feature rows (shared/spec/methods.md §1.3): from a batch's
/// encoder features F [B, D] and labels, the originals, hard negatives mixed with a random
/// partner, and hard positives mixed with the hardest negative, with soft labels, 3B rows
/// in all.
///
///     F1_i = (1 − λ_i)·F_i + λ_i·F_π(i),      λ_i = max(λ'_i, floor), λ' ~ Beta(α, α)
///     F2_i = μ_i·F_hp(i) + (1 − μ_i)·F_hn(i),  μ ~ Beta(α, α)
///
/// hn(i) is the most similar (cosine) sample of another class; hp(i) the least similar of
/// the same class (`.paper`), or what the released code computes (`.reference`: the argmin
/// of the similarity matrix masked to positives, zeros elsewhere, and the anchor itself
/// when that argmin is sample 0 — for non-negative features mostly the anchor).
public struct HardPairMixing: Sendable {
  /// How hard positives are chosen.
  public enum HardPositive: String, Sendable, CaseIterable {
    case paper
    case reference
  }

  /// The random draws of one batch (drawn by `draw`, or given, e.g. to match a fixture).
  public struct Draws: Sendable, Equatable {
    /// The random partner π of each row.
    public var permutation: [Int]
    /// λ' ~ Beta(α, α), before the floor.
    public var negativeWeights: [Double]
    /// μ ~ Beta(α, α).
    public var positiveWeights: [Double]

    public init(permutation: [Int], negativeWeights: [Double], positiveWeights: [Double]) {
      self.permutation = permutation
      self.negativeWeights = negativeWeights
      self.positiveWeights = positiveWeights
    }
  }

  /// What `generate` returns.
  public struct Rows {
    /// [3B, D]: originals, hard negatives, hard positives.
    public var features: Tensor
    /// [3B, classes] soft labels.
    public var targets: Tensor
    /// Group ids of the contrastive loss (rows with equal soft labels).
    public var groups: [Int]
  }

  /// α of the Beta draws.
  public var alpha: Double
  /// The floor of the partner weight λ.
  public var negativeFloor: Double
  public var hardPositive: HardPositive
  /// Whether the original rows are cut from the tape (the released code: yes).
  public var detachOriginals: Bool

  public init(alpha: Double = 1, negativeFloor: Double = 0.8, hardPositive: HardPositive = .reference, detachOriginals: Bool = true) {
    self.alpha = alpha
    self.negativeFloor = negativeFloor
    self.hardPositive = hardPositive
    self.detachOriginals = detachOriginals
  }

  /// The draws of a batch of `batch` rows: a permutation, then B λ', then B μ.
  public func draw(batch: Int, using rng: inout RandomGenerator) -> Draws {
    let permutation = rng.permutation(batch)
    let negative = (0..<batch).map { _ in rng.beta(alpha, alpha) }
    let positive = (0..<batch).map { _ in rng.beta(alpha, alpha) }
    return Draws(permutation: permutation, negativeWeights: negative, positiveWeights: positive)
  }

  /// The partners of each row: (random partner, hardest negative, hardest positive).
  public func partners(features: Tensor, labels: [Int], draws: Draws) -> (hardNegative: [Int], hardPositive: [Int]) {
    let b = labels.count
    let unit = withoutGradients { features.detached().l2Normalized(alongAxis: 1) }
    let similarity = withoutGradients { unit.matmul(unit, transposeOther: true) }.scalars
    var negatives = [Int](repeating: 0, count: b)
    var positives = [Int](repeating: 0, count: b)
    for i in 0..<b {
      let row = similarity[i * b..<(i + 1) * b]
      switch hardPositive {
      case .reference:
        // argmax/argmin of the masked matrix (zeros outside the mask), first index on ties.
        var best = 0
        var worst = 0
        var bestValue = -Float.infinity
        var worstValue = Float.infinity
        for j in 0..<b {
          let negativeValue = labels[j] != labels[i] ? row[row.startIndex + j] : 0
          let positiveValue = labels[j] == labels[i] && j != i ? row[row.startIndex + j] : 0
          if negativeValue > bestValue { (best, bestValue) = (j, negativeValue) }
          if positiveValue < worstValue { (worst, worstValue) = (j, positiveValue) }
        }
        negatives[i] = best
        positives[i] = worst == 0 ? i : worst
      case .paper:
        var best = i
        var worst = i
        var bestValue = -Float.infinity
        var worstValue = Float.infinity
        for j in 0..<b where j != i {
          let value = row[row.startIndex + j]
          if labels[j] != labels[i], value > bestValue { (best, bestValue) = (j, value) }
          if labels[j] == labels[i], value < worstValue { (worst, worstValue) = (j, value) }
        }
        negatives[i] = best
        positives[i] = worst
      }
    }
    return (negatives, positives)
  }

  /// The 3B rows of a batch with `classes` classes.
  public func generate(features: Tensor, labels: [Int], classes: Int, draws: Draws) -> Rows {
    let b = labels.count
    precondition(features.rank == 2 && features.shape[0] == b, "HardPairMixing: features must be [B, D]")
    precondition(draws.permutation.count == b && draws.negativeWeights.count == b && draws.positiveWeights.count == b,
      "HardPairMixing: draws for \(draws.permutation.count) rows, batch of \(b)")
    let oneHot = Tensor.oneHot(labels, classes: classes)
    let (hardNegative, hardPositive) = partners(features: features, labels: labels, draws: draws)
    let lambda = Tensor(shape: [b, 1], scalars: draws.negativeWeights.map { Float(max($0, negativeFloor)) })
    let mu = Tensor(shape: [b, 1], scalars: draws.positiveWeights.map(Float.init))
    let originals = detachOriginals ? features.detached() : features
    let negatives = (1 - lambda) * features + lambda * features.indexSelect(alongAxis: 0, draws.permutation)
    let negativeTargets = (1 - lambda) * oneHot + lambda * oneHot.indexSelect(alongAxis: 0, draws.permutation)
    let positives =
      mu * features.indexSelect(alongAxis: 0, hardPositive) + (1 - mu) * features.indexSelect(alongAxis: 0, hardNegative)
    let positiveTargets =
      mu * oneHot.indexSelect(alongAxis: 0, hardPositive) + (1 - mu) * oneHot.indexSelect(alongAxis: 0, hardNegative)
    let targets = withoutGradients { Tensor.concatenate([oneHot, negativeTargets, positiveTargets], alongAxis: 0) }
    return Rows(
      features: Tensor.concatenate([originals, negatives, positives], alongAxis: 0), targets: targets,
      groups: SoftLabelGroups.ids(targets.scalars, classes: classes))
  }
}
