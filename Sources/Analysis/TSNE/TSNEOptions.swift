import Engine

/// How t-SNE computes the repulsive forces.
public enum TSNEMethod: String, Sendable, CaseIterable {
  /// Exact below `exactLimit` points, Barnes–Hut below `barnesHutLimit`, FFT above.
  case auto
  /// The exact O(N²) sum.
  case exact
  /// Barnes–Hut quadtree, O(N log N).
  case bh
  /// FFT-accelerated interpolation (FIt-SNE), O(N).
  case fft

  /// Up to this many points `auto` uses the exact sum.
  public static let exactLimit = 1_000
  /// Below this many points `auto` uses Barnes–Hut (openTSNE switches at 10,000 too).
  public static let barnesHutLimit = 10_000

  /// The method `auto` stands for at `n` points.
  public func resolved(for n: Int) -> TSNEMethod {
    switch self {
    case .auto: n <= TSNEMethod.exactLimit ? .exact : n < TSNEMethod.barnesHutLimit ? .bh : .fft
    case .exact, .bh, .fft: self
    }
  }
}

/// How the embedding starts.
public enum TSNEInitialization: String, Sendable, CaseIterable {
  /// First two principal components, scaled so the first has std 1e-4, plus jitter of
  /// 1% of that (openTSNE's default).
  case pca
  /// Independent N(0, 1e-4²) coordinates.
  case random
}

/// The settings of a t-SNE run. Defaults follow openTSNE 1.0: perplexity 30, 250
/// iterations of early exaggeration 12 then 500 normal ones, learning rate N/exaggeration,
/// momentum 0.8 in both phases, steps clipped to length 5, PCA initialisation.
public struct TSNEOptions: Sendable {
  /// Effective number of neighbours of the input affinities.
  public var perplexity = 30.0
  /// Iterations of the early-exaggeration phase.
  public var earlyExaggerationIterations = 250
  /// Factor on P during the early-exaggeration phase.
  public var earlyExaggeration = 12.0
  /// Iterations of the normal phase.
  public var iterations = 500
  /// Exaggeration of the normal phase (1 = none).
  public var exaggeration = 1.0
  /// Fixed learning rate; nil means N / exaggeration of each phase (Belkina et al. 2019).
  public var learningRate: Double?
  /// Momentum of both phases.
  public var momentum = 0.8
  /// Degrees of freedom α of the kernel (1 + d²/α)^(−α); below 1 gives heavier tails
  /// and finer clusters (Kobak et al. 2019).
  public var degreesOfFreedom = 1.0
  /// Repulsion method.
  public var method = TSNEMethod.auto
  /// Barnes–Hut opening angle (cell side / distance).
  public var theta = 0.5
  /// Lagrange nodes per interpolation box and axis (1...6).
  public var interpolationPoints = 3
  /// Fewest interpolation boxes per side.
  public var minimumBoxes = 50
  /// Side of an interpolation box once the embedding is wider than `minimumBoxes` of them.
  public var boxWidth = 1.0
  /// Longest step a point may take in one iteration (nil: unlimited).
  public var maxStepNorm: Double? = 5
  /// Per-point gradient clip (nil: none).
  public var maxGradientNorm: Double?
  /// Starting layout.
  public var initialization = TSNEInitialization.pca
  /// kNN search for the affinities.
  public var neighbors = NeighborMethod.auto
  /// KL divergence is evaluated every this many iterations (it is cheap).
  public var klEvery = 50
  /// Seed of every random choice (jitter, random init, approximate kNN trees).
  public var seed: UInt64 = 0
  /// Worker threads; results do not depend on it.
  public var threads = ThreadCount.available

  /// openTSNE's defaults.
  public init() {}

  /// Throws when a setting is out of range.
  public func validate() throws(AnalysisInputError) {
    guard perplexity > 0, perplexity.isFinite else {
      throw AnalysisInputError("perplexity must be a positive number")
    }
    guard earlyExaggerationIterations >= 0, iterations >= 0 else {
      throw AnalysisInputError("iterations must not be negative")
    }
    guard earlyExaggeration > 0, earlyExaggeration.isFinite, exaggeration > 0, exaggeration.isFinite else {
      throw AnalysisInputError("exaggeration must be a positive number")
    }
    if let learningRate {
      guard learningRate > 0, learningRate.isFinite else { throw AnalysisInputError("learning rate must be a positive number") }
    }
    guard momentum >= 0, momentum < 1 else {
      throw AnalysisInputError("momentum must be in [0, 1)")
    }
    guard degreesOfFreedom > 0, degreesOfFreedom.isFinite else {
      throw AnalysisInputError("degrees of freedom must be positive")
    }
    guard theta >= 0, theta.isFinite else { throw AnalysisInputError("theta must be a number ≥ 0") }
    guard (1...6).contains(interpolationPoints) else {
      throw AnalysisInputError("interpolation points must be 1...6")
    }
    guard minimumBoxes >= 1, boxWidth > 0, boxWidth.isFinite else {
      throw AnalysisInputError("interpolation grid settings must be positive")
    }
    guard klEvery >= 1 else { throw AnalysisInputError("KL interval must be at least 1") }
  }
}
