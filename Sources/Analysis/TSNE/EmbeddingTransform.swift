import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Settings for placing new points into an existing embedding. Defaults follow openTSNE's
/// `TSNEEmbedding.transform`: perplexity 5, start at the median of the 25 nearest
/// reference points, 250 iterations at exaggeration 1.5, learning rate 0.1, momentum 0.8,
/// gradients clipped to length 0.25, no step clipping and no re-centring.
public struct TransformOptions: Sendable {
  /// Perplexity of the new points' affinities to reference points.
  public var perplexity = 5.0
  /// Reference neighbours whose median position starts a new point.
  public var initialNeighbors = 25
  /// Optimisation steps.
  public var iterations = 250
  /// Factor on the attractive forces.
  public var exaggeration = 1.5
  /// Fixed learning rate.
  public var learningRate = 0.1
  /// Momentum of the updates.
  public var momentum = 0.8
  /// Per-point gradient clip (nil: none).
  public var maxGradientNorm: Double? = 0.25
  /// Kernel degrees of freedom; use the reference embedding's.
  public var degreesOfFreedom = 1.0
  /// Exact sums, or the reference's interpolation grid (computed once, 25% padding).
  public var method = TransformMethod.auto
  /// Interpolation grid settings (see `TSNEOptions`).
  public var interpolationPoints = 3
  public var minimumBoxes = 50
  public var boxWidth = 1.0
  /// Worker threads.
  public var threads = ThreadCount.available

  /// openTSNE's defaults.
  public init() {}
}

/// How new points feel the repulsion of the reference points.
public enum TransformMethod: String, Sendable, CaseIterable {
  /// Exact below 10⁸ new×reference pairs, interpolation above.
  case auto
  /// The exact sum over reference points.
  case exact
  /// Potentials of the reference points interpolated from one FFT grid.
  case interpolation

  /// The method `auto` stands for.
  public func resolved(new: Int, reference: Int) -> TransformMethod {
    switch self {
    case .auto: new * reference <= 100_000_000 ? .exact : .interpolation
    case .exact, .interpolation: self
    }
  }
}

/// Places new points into a fixed t-SNE embedding (openTSNE's `transform`): each new
/// point gets row-normalised affinities to its ⌊3·perplexity⌋ nearest reference points,
/// starts at the median of its nearest reference positions, and moves under attraction
/// to them and repulsion from all reference points normalised by its own Z_i. New points
/// do not interact, so placing them together or one by one gives the same result.
public enum EmbeddingTransform {
  /// N_new×2 coordinates for `points` (same feature space as `reference`, whose
  /// embedding is `embedding`).
  public static func place(
    _ points: FeatureMatrix, reference: FeatureMatrix, embedding: [Double],
    options: TransformOptions,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) throws(AnalysisInputError) -> [Double] {
    try points.requireFinite()
    let nr = reference.rows
    guard embedding.count == 2 * nr else {
      throw AnalysisInputError("embedding has \(embedding.count / 2) points, reference \(nr)")
    }
    guard points.columns == reference.columns else {
      throw AnalysisInputError(
        "new points have \(points.columns) features, the reference \(reference.columns)")
    }
    guard nr >= 2 else { throw AnalysisInputError("the reference needs at least 2 points") }
    let m = points.rows
    if m == 0 { return [] }
    let perplexity = min(options.perplexity, Double(nr - 1) / 3)
    let k = max(1, min(nr, Int((3 * perplexity).rounded(.down))))
    let kInit = max(1, min(nr, max(k, options.initialNeighbors)))
    let graph = ExactNeighbors.search(
      queries: points, reference: reference, k: kInit, threads: options.threads)
    // Start: coordinate-wise median of the nearest reference positions.
    var y = [Double](repeating: 0, count: 2 * m)
    let starters = min(max(options.initialNeighbors, 1), kInit)
    for i in 0..<m {
      for axis in 0..<2 {
        var values = [Double]()
        for e in 0..<starters {
          values.append(embedding[2 * Int(graph.indices[i * kInit + e]) + axis])
        }
        values.sort()
        let c = values.count
        let middle: Double = c % 2 == 1 ? values[c / 2] : (values[c / 2 - 1] + values[c / 2]) / 2
        y[2 * i + axis] = middle
      }
    }
    let near = graph.truncated(to: k)
    let (conditional, _) = Affinities.conditional(
      near, perplexity: perplexity, threads: options.threads)
    let p = Affinities.pointwise(near, conditional: conditional)
    var repulsion = TransformRepulsion(
      reference: embedding, method: options.method.resolved(new: m, reference: nr), options: options
    )
    var descent = GradientDescent(count: 2 * m)
    var gradient = [Double](repeating: 0, count: 2 * m)
    var repulsive = [Double](repeating: 0, count: 2 * m)
    var sums = [Double](repeating: 0, count: m)
    for iteration in 0..<options.iterations {
      y.withUnsafeBufferPointer { yb in
        embedding.withUnsafeBufferPointer { rb in
          gradient.withUnsafeMutableBufferPointer { gb in
            _ = Attraction.forces(
              p, y: yb, reference: rb, dof: options.degreesOfFreedom, scale: options.exaggeration,
              into: gb,
              evaluateKL: false, threads: options.threads)
          }
        }
        repulsive.withUnsafeMutableBufferPointer { fb in
          sums.withUnsafeMutableBufferPointer { repulsion.forces(yb, into: fb, kernelSums: $0) }
        }
      }
      for i in 0..<m {
        let inverse = sums[i] > 0 ? 1 / sums[i] : 0
        gradient[2 * i] -= repulsive[2 * i] * inverse
        gradient[2 * i + 1] -= repulsive[2 * i + 1] * inverse
      }
      descent.step(
        &y, gradient: &gradient, learningRate: options.learningRate, momentum: options.momentum,
        maxStepNorm: nil, maxGradientNorm: options.maxGradientNorm)
      repulsion.confine(&y, descent: &descent)
      progress?(iteration + 1, options.iterations)
    }
    return y
  }
}

/// Repulsion of new points by a fixed reference embedding, normalised per new point.
struct TransformRepulsion {
  private let reference: [Double]
  private let dof: Double
  private let threads: ThreadCount
  private let field: InterpolationField?

  init(reference: [Double], method: TransformMethod, options: TransformOptions) {
    self.reference = reference
    dof = options.degreesOfFreedom
    threads = options.threads
    guard method == .interpolation else {
      field = nil
      return
    }
    let (minX, maxX, minY, maxY) = boundingBox(reference)
    // 25% padding on every side, as openTSNE prepares its transform grid.
    let pad = 0.25 * max(maxX - minX, maxY - minY)
    let geometry = InterpolationGeometry.covering(
      minX: minX - pad, maxX: maxX + pad, minY: minY - pad, maxY: maxY + pad,
      minimumBoxes: options.minimumBoxes, boxWidth: options.boxWidth,
      points: options.interpolationPoints)
    let grid = ConvolutionGrid(
      nodes: geometry.nodes, spacing: geometry.spacing, dof: options.degreesOfFreedom,
      threads: options.threads)
    let threads = options.threads
    field = reference.withUnsafeBufferPointer {
      InterpolationField(sources: $0, geometry: geometry, grid: grid, threads: threads)
    }
  }

  /// Unnormalised repulsive forces and kernel sums Z_i of the new points `y`.
  mutating func forces(
    _ y: UnsafeBufferPointer<Double>, into forces: UnsafeMutableBufferPointer<Double>,
    kernelSums: UnsafeMutableBufferPointer<Double>
  ) {
    if let field {
      field.evaluate(at: y, forces: forces, kernelSums: kernelSums, threads: threads)
      return
    }
    let m = y.count / 2
    let n = reference.count / 2
    let dof = self.dof
    let ys = SendablePointer(UnsafeMutablePointer(mutating: y.baseAddress!))
    let out = SendablePointer(forces.baseAddress!)
    let sums = SendablePointer(kernelSums.baseAddress!)
    let reference = self.reference
    parallelFor(chunks: (m + tsneChunk - 1) / tsneChunk, threads: threads) { chunk in
      reference.withUnsafeBufferPointer { r in
        for i in chunk * tsneChunk..<min(m, (chunk + 1) * tsneChunk) {
          var fx = 0.0
          var fy = 0.0
          var z = 0.0
          for j in 0..<n {
            let dx = ys[2 * i] - r[2 * j]
            let dy = ys[2 * i + 1] - r[2 * j + 1]
            let base = 1 + (dx * dx + dy * dy) / dof
            let w = dof == 1 ? 1 / base : pow(base, -dof)
            let wq = w / base
            z += w
            fx += wq * dx
            fy += wq * dy
          }
          out[2 * i] = fx
          out[2 * i + 1] = fy
          sums[i] = z
        }
      }
    }
  }

  /// Keeps new points inside the interpolation grid (their momentum is dropped when
  /// they hit its edge); nothing to do for exact sums.
  func confine(_ y: inout [Double], descent: inout GradientDescent) {
    guard let field else { return }
    let g = field.geometry
    let side = Double(g.boxes) * g.width
    for e in 0..<y.count {
      let origin = e % 2 == 0 ? g.originX : g.originY
      let clamped = min(max(y[e], origin), origin + side)
      if clamped != y[e] {
        y[e] = clamped
        descent.update[e] = 0
      }
    }
  }
}
