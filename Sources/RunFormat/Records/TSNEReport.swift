/// What `clens tsne` records next to an embedding (`analysis/tsne-<tag>.json`). Files
/// made elsewhere need only `kl_divergence`, `iterations`, `perplexity`, `n` and `method`.
public struct TSNEReport: Sendable, Equatable, Codable {
  /// Seconds spent in each stage.
  public struct Timings: Sendable, Equatable, Codable {
    public var neighbors: Double
    public var affinities: Double
    public var initialization: Double
    public var optimization: Double

    public init(neighbors: Double, affinities: Double, initialization: Double, optimization: Double) {
      self.neighbors = neighbors
      self.affinities = affinities
      self.initialization = initialization
      self.optimization = optimization
    }
  }

  /// New points placed into the finished embedding (`--transform`).
  public struct Transform: Sendable, Equatable, Codable {
    public var n: Int
    /// Where their 2-D positions went.
    public var embedding: String

    public init(n: Int, embedding: String) {
      self.n = n
      self.embedding = embedding
    }
  }

  /// The final KL(P‖Q).
  public var klDivergence: Double
  /// Optimisation iterations run.
  public var iterations: Int
  /// The perplexity the affinities were calibrated to.
  public var perplexity: Double
  /// Number of points.
  public var n: Int
  /// How repulsion was computed ("exact", "bh" or "fft").
  public var method: String
  /// (iteration, KL) readings during optimisation.
  public var klTrace: [[Double]]?
  public var seconds: Double?
  public var timings: Timings?
  /// Feature dimension embedded (after PCA, if any).
  public var dim: Int?
  public var neighborMethod: String?
  public var neighbors: Int?
  public var learningRates: [Double]?
  public var dof: Double?
  public var seed: UInt64?
  public var threads: Int?
  public var warnings: [String]?
  /// Files the embedding was written to.
  public var embedding: [String]?
  /// Figures drawn with `--plot`.
  public var figures: [String]?
  public var trustworthiness: Double?
  public var trustworthinessSample: Int?
  public var trustworthinessNeighbors: Int?
  /// Leave-one-out kNN accuracy in the embedding, with labels.
  public var knnAccuracy: Double?
  public var knnNeighbors: Int?
  public var klDivergenceExact: Double?
  public var metricsSeconds: Double?
  public var pcaComponents: Int?
  public var pcaExplainedVarianceRatio: Double?
  public var pcaSeconds: Double?
  public var transform: Transform?

  public init(klDivergence: Double, iterations: Int, perplexity: Double, n: Int, method: String) {
    self.klDivergence = klDivergence
    self.iterations = iterations
    self.perplexity = perplexity
    self.n = n
    self.method = method
  }

  enum CodingKeys: String, CodingKey {
    case iterations, perplexity, n, method, seconds, timings, dim, neighbors, dof, seed, threads, warnings
    case embedding, figures, trustworthiness, transform
    case klDivergence = "kl_divergence"
    case klTrace = "kl_trace"
    case neighborMethod = "neighbor_method"
    case learningRates = "learning_rates"
    case trustworthinessSample = "trustworthiness_sample"
    case trustworthinessNeighbors = "trustworthiness_neighbors"
    case knnAccuracy = "knn_accuracy"
    case knnNeighbors = "knn_neighbors"
    case klDivergenceExact = "kl_divergence_exact"
    case metricsSeconds = "metrics_seconds"
    case pcaComponents = "pca_components"
    case pcaExplainedVarianceRatio = "pca_explained_variance_ratio"
    case pcaSeconds = "pca_seconds"
  }
}
