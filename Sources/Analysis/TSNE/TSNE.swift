import Dispatch
import Engine

/// One reading of the KL divergence during optimisation (after `iteration` iterations
/// had been taken when the gradient was evaluated, counted over both phases).
public struct KLReading: Sendable, Equatable {
  /// Iterations taken before this reading.
  public let iteration: Int
  /// KL(P‖Q) at that point.
  public let value: Double
}

/// The stages of a t-SNE run, for progress reports.
public enum TSNEStage: String, Sendable {
  case neighbors, affinities, optimization
}

/// Seconds spent in each stage of a t-SNE run.
public struct TSNETimings: Sendable, Equatable {
  /// kNN search.
  public var neighbors = 0.0
  /// Bandwidth search and symmetrisation.
  public var affinities = 0.0
  /// PCA or random start.
  public var initialization = 0.0
  /// Both optimisation phases and the final KL.
  public var optimization = 0.0
  /// Sum of the stages.
  public var total: Double { neighbors + affinities + initialization + optimization }
}

/// What a t-SNE run produced, and the settings it actually used.
public struct TSNEResult: Sendable {
  /// N×2, row-major: [x0, y0, x1, y1, ...].
  public var embedding: [Double]
  /// KL(P‖Q) of the final embedding, with Z computed by the run's method (exact for
  /// `.exact`; openTSNE reports the same quantity).
  public var klDivergence: Double
  /// KL readings every `klEvery` iterations.
  public var klTrace: [KLReading]
  /// Iterations taken (both phases).
  public var iterations: Int
  /// The repulsion method used (never `.auto`).
  public var method: TSNEMethod
  /// The neighbour search used (never `.auto`).
  public var neighborMethod: NeighborMethod
  /// Perplexity used (after clamping to (N−1)/3).
  public var perplexity: Double
  /// Neighbours per point in P.
  public var neighbors: Int
  /// Learning rate of each phase.
  public var learningRates: [Double]
  /// Rows whose bandwidth search stopped at its step limit.
  public var unconvergedRows: Int
  /// The joint affinities P (needed for the exact KL or to continue optimising).
  public var affinities: SparseAffinities
  /// Seconds per stage.
  public var timings: TSNETimings
  /// Things the run changed or noticed (clamped perplexity, fallback initialisation).
  public var warnings: [String]
}

/// t-SNE as openTSNE runs it (Poličar et al. 2024; van der Maaten 2014; Linderman et al.
/// 2019): kNN affinities at a given perplexity, PCA initialisation, early exaggeration,
/// then normal optimisation with Barnes–Hut or FFT-interpolation repulsion.
///
/// ```swift
/// var options = TSNEOptions()
/// options.seed = 0
/// let result = try TSNE.fit(features, options: options)
/// print(result.klDivergence)          // result.embedding is N×2
/// ```
public enum TSNE {
  /// Embeds the rows of `data` in 2-D. Throws for non-finite rows or fewer than 4 points;
  /// a perplexity too large for N is clamped to (N−1)/3 with a warning, as openTSNE does.
  public static func fit(
    _ data: FeatureMatrix, options: TSNEOptions,
    progress: (@Sendable (TSNEStage, Int, Int) -> Void)? = nil
  ) throws(AnalysisInputError) -> TSNEResult {
    try options.validate()
    try data.requireFinite()
    let n = data.rows
    guard n >= 4 else { throw AnalysisInputError("t-SNE needs at least 4 points, got \(n)") }
    guard data.columns >= 1 else { throw AnalysisInputError("features have no columns") }
    var warnings = [String]()
    var perplexity = options.perplexity
    if 3 * perplexity + 1 > Double(n) {
      perplexity = Double(n - 1) / 3
      warnings.append(
        "perplexity \(options.perplexity) is too large for \(n) points (needs N ≥ 3·perplexity + 1); using \(perplexity)"
      )
    }
    let k = min(n - 1, Int((3 * perplexity).rounded(.down)))
    var timings = TSNETimings()
    var clock = DispatchTime.now()
    func lap() -> Double {
      let now = DispatchTime.now()
      defer { clock = now }
      return Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e9
    }
    let neighborMethod = options.neighbors.resolved(for: n)
    let stageProgress = { (stage: TSNEStage) -> (@Sendable (Int, Int) -> Void)? in
      guard let progress else { return nil }
      return { @Sendable (done: Int, total: Int) in progress(stage, done, total) }
    }
    let graph: NeighborGraph
    switch neighborMethod {
    case .approximate:
      graph = ApproximateNeighbors.search(
        data, k: k, seed: options.seed, threads: options.threads,
        progress: stageProgress(.neighbors))
    case .exact, .auto:
      graph = ExactNeighbors.search(
        data, k: k, threads: options.threads, progress: stageProgress(.neighbors))
    }
    timings.neighbors = lap()
    progress?(.affinities, 0, 1)
    let (conditional, unconverged) = Affinities.conditional(
      graph, perplexity: perplexity, threads: options.threads)
    let affinities = Affinities.joint(graph, conditional: conditional)
    progress?(.affinities, 1, 1)
    if unconverged > 0 {
      warnings.append(
        "the bandwidth search did not reach the perplexity for \(unconverged) points within 200 steps"
      )
    }
    timings.affinities = lap()
    var initialization = options.initialization
    if initialization == .pca && data.columns < 2 {
      initialization = .random
      warnings.append(
        "PCA initialisation needs at least 2 feature columns; used random initialisation")
    }
    var y = TSNEInitializer.initialize(
      data, kind: initialization, seed: options.seed, threads: options.threads)
    if y.isEmpty {
      y = TSNEInitializer.initialize(
        data, kind: .random, seed: options.seed, threads: options.threads)
      warnings.append("the first principal component has no variance; used random initialisation")
    }
    timings.initialization = lap()
    let optimized = optimize(
      affinities: affinities, initial: y, options: options, progress: stageProgress(.optimization))
    timings.optimization = lap()
    return TSNEResult(
      embedding: optimized.embedding, klDivergence: optimized.klDivergence,
      klTrace: optimized.klTrace,
      iterations: options.earlyExaggerationIterations + options.iterations,
      method: options.method.resolved(for: n), neighborMethod: neighborMethod,
      perplexity: perplexity, neighbors: k, learningRates: optimized.learningRates,
      unconvergedRows: unconverged, affinities: affinities, timings: timings, warnings: warnings)
  }

  /// Optimises an embedding for given affinities: the early-exaggeration phase, then
  /// the normal phase, then one more evaluation of KL on the final embedding. Internally
  /// the points are visited in P's breadth-first order (`SparseAffinities.breadthFirstOrder`)
  /// for memory locality; the returned embedding is in the caller's order.
  public static func optimize(
    affinities: SparseAffinities, initial: [Double], options: TSNEOptions,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) -> (embedding: [Double], klDivergence: Double, klTrace: [KLReading], learningRates: [Double]) {
    let n = affinities.count
    precondition(initial.count == 2 * n, "TSNE.optimize: initial embedding must be N×2")
    let order = affinities.breadthFirstOrder()
    var newIndex = [Int](repeating: 0, count: n)
    for (p, i) in order.enumerated() { newIndex[i] = p }
    var objective = TSNEObjective(
      affinities: affinities.relabelled(newIndex), method: options.method, options: options)
    var descent = GradientDescent(count: 2 * n)
    var y = order.flatMap { [initial[2 * $0], initial[2 * $0 + 1]] }
    var gradient = [Double](repeating: 0, count: 2 * n)
    var trace = [KLReading]()
    let phases = [
      (options.earlyExaggeration, options.earlyExaggerationIterations),
      (options.exaggeration, options.iterations),
    ]
    let total = options.earlyExaggerationIterations + options.iterations
    var done = 0
    var rates = [Double]()
    for (exaggeration, count) in phases {
      let rate = options.learningRate ?? Double(n) / exaggeration
      rates.append(rate)
      for _ in 0..<count {
        let evaluateKL = (done + 1) % options.klEvery == 0
        let (_, kl) = objective.evaluate(
          y, exaggeration: exaggeration, evaluateKL: evaluateKL, gradient: &gradient)
        if let kl { trace.append(KLReading(iteration: done + 1, value: kl)) }
        descent.step(
          &y, gradient: &gradient, learningRate: rate, momentum: options.momentum,
          maxStepNorm: options.maxStepNorm, maxGradientNorm: options.maxGradientNorm)
        GradientDescent.recentre(&y)
        done += 1
        progress?(done, total)
      }
    }
    let (_, finalKL) = objective.evaluate(y, exaggeration: 1, evaluateKL: true, gradient: &gradient)
    var embedding = [Double](repeating: 0, count: 2 * n)
    for (p, i) in order.enumerated() {
      embedding[2 * i] = y[2 * p]
      embedding[2 * i + 1] = y[2 * p + 1]
    }
    return (embedding, finalKL ?? .nan, trace, rates)
  }

  /// The gradient (without the factor 4), the normaliser Z and KL(P‖Q) of `embedding`
  /// under the given method — for checking the approximations against the exact sum.
  public static func gradient(
    embedding: [Double], affinities: SparseAffinities, method: TSNEMethod,
    options: TSNEOptions = TSNEOptions()
  ) -> (gradient: [Double], normalizer: Double, klDivergence: Double) {
    precondition(embedding.count == 2 * affinities.count, "TSNE.gradient: embedding must be N×2")
    var objective = TSNEObjective(affinities: affinities, method: method, options: options)
    var g = [Double](repeating: 0, count: embedding.count)
    let (z, kl) = objective.evaluate(embedding, exaggeration: 1, evaluateKL: true, gradient: &g)
    return (g, z, kl ?? .nan)
  }
}
