import Engine

/// Feature Transformation (Zhu et al., ICCV 2021; shared/spec/methods.md §2.3) of a
/// MoCo step's query q, key k and queue Q before the logits:
///
///     positive extrapolation  q̂ = λq + (1 − λ)k,  k̂ = λk + (1 − λ)q,   λ ~ Beta(α_p, α_p) + 1
///     negative interpolation  Q̂_j = μQ_j + (1 − μ)Q_π(j),               μ ~ Beta(α_n, α_n)
///
/// λ and μ are one scalar per step (the README's `--sep_alpha`, `dim_mask none`), or one
/// per element of q (`perElement` positive) or of Q (negative). No renormalisation after
/// mixing. The gradient reaches the encoder through q̂ and through k̂'s (1 − λ)q.
public struct FeatureTransformation: Sendable, Equatable {
  /// Which coefficients are drawn per element instead of per step.
  public enum PerElement: String, Sendable, CaseIterable {
    case none, positive, negative, both
  }

  /// α_p (the README's 2.0).
  public var positiveAlpha: Double
  /// α_n (the README's 1.6).
  public var negativeAlpha: Double
  /// Extrapolate the positive pair (λ ∈ [1, 2]); false interpolates it (λ ∈ [0, 1]).
  public var extrapolate: Bool
  public var perElement: PerElement

  public init(positiveAlpha: Double = 2, negativeAlpha: Double = 1.6, extrapolate: Bool = true, perElement: PerElement = .none) {
    self.positiveAlpha = positiveAlpha
    self.negativeAlpha = negativeAlpha
    self.extrapolate = extrapolate
    self.perElement = perElement
  }

  /// The draws of one step, for a batch of `batch` queries of `dimension` and a queue of
  /// `queueSize` rows: λ (one, or one per query element), μ (one, or one per queue
  /// element) and the queue permutation π. Only what is used is drawn.
  public struct Draws: Sendable, Equatable {
    public var lambda: [Float]
    public var mu: [Float]
    public var permutation: [Int]

    public init(lambda: [Float], mu: [Float], permutation: [Int]) {
      self.lambda = lambda
      self.mu = mu
      self.permutation = permutation
    }
  }

  /// Draws π, then λ, then μ.
  public func draw(batch: Int, dimension: Int, queueSize: Int, using rng: inout RandomGenerator) -> Draws {
    let permutation = rng.permutation(queueSize)
    let lambdas = perElement == .positive || perElement == .both ? batch * dimension : 1
    let lambda = (0..<lambdas).map { _ in Float(rng.beta(positiveAlpha, positiveAlpha) + (extrapolate ? 1 : 0)) }
    let mus = perElement == .negative || perElement == .both ? queueSize * dimension : 1
    let mu = (0..<mus).map { _ in Float(rng.beta(negativeAlpha, negativeAlpha)) }
    return Draws(lambda: lambda, mu: mu, permutation: permutation)
  }

  /// (q̂, k̂, Q̂) for query q [b, d] (on the tape), key k [b, d] and queue Q [K, d].
  public func apply(query: Tensor, key: Tensor, queue: Tensor, draws: Draws) -> (query: Tensor, key: Tensor, queue: Tensor) {
    let lambda = draws.lambda.count == 1 ? Tensor(draws.lambda[0]) : Tensor(shape: query.shape, scalars: draws.lambda)
    let mu = draws.mu.count == 1 ? Tensor(draws.mu[0]) : Tensor(shape: queue.shape, scalars: draws.mu)
    let k = key.detached()
    let mixedQuery = lambda * query + (1 - lambda) * k
    let mixedKey = lambda * k + (1 - lambda) * query
    let shuffled = queue.indexSelect(alongAxis: 0, draws.permutation)
    return (mixedQuery, mixedKey, withoutGradients { mu * queue + (1 - mu) * shuffled })
  }
}
