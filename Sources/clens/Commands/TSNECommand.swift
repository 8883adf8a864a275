import Analysis
import ArgumentParser
import Dispatch
import Engine
import Foundation
import Plotting
import RunFormat

extension TSNEMethod: ExpressibleByArgument {}
extension NeighborMethod: ExpressibleByArgument {}
extension TSNEInitialization: ExpressibleByArgument {}

/// `clens tsne`: a t-SNE embedding of features, with its quality numbers.
struct TSNECommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tsne",
    abstract: "Embed features in 2-D with t-SNE (openTSNE's algorithm) and measure the embedding.",
    discussion: """
      Exact kNN affinities at the given perplexity, PCA initialisation, 250 iterations of early \
      exaggeration 12 and 500 normal ones (learning rate N/exaggeration), repulsion by the exact \
      sum (N ≤ 1,000), Barnes–Hut (N < 10,000) or FFT interpolation. Reports KL(P‖Q), \
      trustworthiness(10) on a seeded sample, and with labels the leave-one-out 10-NN accuracy \
      in the embedding. --seed fixes the initialisation jitter, approximate neighbours and samples. \
      With --run the embedding and numbers go to analysis/tsne-<tag>.npy/.json.
      """)

  @OptionGroup var input: FeatureInputOptions

  @Option(help: "Write the N×2 embedding (float32 .npy) here.")
  var out: String?

  @Option(help: "Perplexity (clamped to (N−1)/3 with a warning when too large).")
  var perplexity = 30.0

  @Option(help: "Repulsion: auto, exact, bh (Barnes–Hut) or fft (interpolation).")
  var method = TSNEMethod.auto

  @Option(help: "Iterations of the normal phase.")
  var iterations = 500

  @Option(help: "Iterations of early exaggeration.")
  var earlyIterations = 250

  @Option(help: "Early exaggeration factor.")
  var earlyExaggeration = 12.0

  @Option(help: "Exaggeration of the normal phase.")
  var exaggeration = 1.0

  @Option(help: "Learning rate (default: N / exaggeration of each phase).")
  var learningRate: Double?

  @Option(help: "Degrees of freedom of the kernel (below 1: heavier tails, finer clusters).")
  var dof = 1.0

  @Option(help: "Barnes–Hut opening angle.")
  var theta = 0.5

  @Option(help: "Reduce the features to this many principal components first (e.g. 50).")
  var pca: Int?

  @Option(help: "Nearest neighbours: auto, exact or approximate.")
  var neighbors = NeighborMethod.auto

  @Option(help: "Initialisation: pca or random.")
  var initialization = TSNEInitialization.pca

  @Option(help: "Neighbours for trustworthiness and kNN accuracy.")
  var metricNeighbors = 10

  @Option(help: "Points sampled (seeded) for trustworthiness, which costs O(n²).")
  var trustSample = 5000

  @Flag(help: "Also compute the exact KL divergence (O(N²)).")
  var exactKl = false

  @Option(help: "Place the points of this features file into the finished embedding.")
  var transform: String?

  @Option(help: "Where to write the placed points of --transform (float32 .npy).")
  var transformOut: String?

  @OptionGroup var common: CommonOptions

  @OptionGroup var output: AnalysisOutputOptions

  func validate() throws {
    try requirePositiveNumbers([
      ("--perplexity", perplexity), ("--early-exaggeration", earlyExaggeration), ("--exaggeration", exaggeration),
      ("--learning-rate", learningRate), ("--dof", dof),
    ])
    if !(theta >= 0 && theta.isFinite) { throw ValidationError("--theta must be a number ≥ 0, got \(theta)") }
    if iterations < 0 || earlyIterations < 0 { throw ValidationError("--iterations and --early-iterations must not be negative") }
    if let pca, pca < 2 { throw ValidationError("--pca needs at least 2 components") }
    if metricNeighbors < 1 { throw ValidationError("--metric-neighbors must be at least 1") }
    if trustSample < 4 { throw ValidationError("--trust-sample must be at least 4") }
    if input.run == nil && out == nil && output.plot == nil {
      throw ValidationError("give --out E.npy or --plot FIGURE (or --run DIR) to keep the embedding")
    }
    if (transform == nil) != (transformOut == nil) {
      throw ValidationError("--transform and --transform-out go together")
    }
    do {
      try options.validate()
    } catch {
      throw ValidationError(error.problem)
    }
  }

  var options: TSNEOptions {
    var o = TSNEOptions()
    o.perplexity = perplexity
    o.seed = common.seed
    o.method = method
    o.iterations = iterations
    o.earlyExaggerationIterations = earlyIterations
    o.earlyExaggeration = earlyExaggeration
    o.exaggeration = exaggeration
    o.learningRate = learningRate
    o.degreesOfFreedom = dof
    o.theta = theta
    o.neighbors = neighbors
    o.initialization = initialization
    o.threads = common.threadCount
    return o
  }

  func run() throws {
    let options = self.options
    let seed = common.seed
    let files = try input.load(seed: seed, threads: options.threads)
    var features = files.features
    let labels = files.labels
    let progress = StagedProgress(quiet: !common.showsProgress)
    var projection: PCA?
    var pcaReport: (components: Int, ratio: Double, seconds: Double)?
    if let pca {
      guard pca <= min(features.rows, features.columns) else {
        throw FileError(
          files.origin,
          "--pca \(pca) needs at most min(N, D) = \(min(features.rows, features.columns)) components"
        )
      }
      let start = DispatchTime.now()
      let fitted = PCA(fitting: features, components: pca, seed: seed, threads: options.threads)
      features = fitted.transform(features, threads: options.threads)
      projection = fitted
      pcaReport = (pca, fitted.explainedVariance.reduce(0, +) / fitted.totalVariance, seconds(since: start))
    }
    let result: TSNEResult
    do {
      result = try TSNE.fit(features, options: options) { stage, done, total in
        let label =
          ["neighbors": "neighbours", "affinities": "affinities", "optimization": "t-SNE"][
            stage.rawValue] ?? stage.rawValue
        progress.update(label, unit: stage == .optimization ? "it" : "blocks", done, total)
      }
    } catch {
      throw FileError(files.origin, error.problem)
    }
    result.warnings.forEach(printWarning)
    let embeddingFile = NPYArray(
      shape: [features.rows, 2], floats: result.embedding.map { Float($0) })
    var written = [String]()
    if let out {
      try embeddingFile.write(to: out)
      written.append(out)
    }
    let run = files.run.map { (directory: RunDirectory(unchecked: $0.directory), tag: $0.tag) }
    if let run {
      try embeddingFile.write(to: run.directory.tsneEmbedding(run.tag))
      written.append(run.directory.tsneEmbedding(run.tag))
    }
    var report = TSNEReport(
      klDivergence: result.klDivergence, iterations: result.iterations, perplexity: result.perplexity,
      n: features.rows, method: result.method.rawValue)
    report.klTrace = result.klTrace.map { [Double($0.iteration), $0.value] }
    report.seconds = result.timings.total
    report.timings = TSNEReport.Timings(
      neighbors: result.timings.neighbors, affinities: result.timings.affinities,
      initialization: result.timings.initialization, optimization: result.timings.optimization)
    report.dim = features.columns
    report.neighborMethod = result.neighborMethod.rawValue
    report.neighbors = result.neighbors
    report.learningRates = result.learningRates
    report.dof = dof
    report.seed = seed
    report.threads = options.threads.value
    report.warnings = result.warnings
    report.embedding = written
    if let pcaReport {
      report.pcaComponents = pcaReport.components
      report.pcaExplainedVarianceRatio = pcaReport.ratio
      report.pcaSeconds = pcaReport.seconds
    }
    report.figures = try output.draw(input: files.origin, threads: options.threads) { style in
      let points = Embedding(
        x: stride(from: 0, to: result.embedding.count, by: 2).map { result.embedding[$0] },
        y: stride(from: 1, to: result.embedding.count, by: 2).map { result.embedding[$0] },
        labels: labels ?? Array(repeating: 0, count: features.rows))
      return try EmbeddingFigure.make([points], classNames: try output.classNames(or: files.classNames), style: style)
    }
    let metricsStart = DispatchTime.now()
    try addMetrics(to: &report, features: features, labels: labels, result: result, options: options, path: files.origin)
    if exactKl {
      report.klDivergenceExact = KLDivergence.exact(
        affinities: result.affinities, embedding: result.embedding, dof: dof, threads: options.threads)
    }
    report.metricsSeconds = seconds(since: metricsStart)
    if let transform, let transformOut {
      var newPoints = try FeatureMatrix.read(transform)
      guard newPoints.columns == (projection?.dimension ?? features.columns) else {
        throw FileError(
          transform,
          "has \(newPoints.columns) features, the embedded set \(projection?.dimension ?? features.columns)"
        )
      }
      if let projection { newPoints = projection.transform(newPoints, threads: options.threads) }
      var transformOptions = TransformOptions()
      transformOptions.degreesOfFreedom = dof
      transformOptions.threads = options.threads
      let placed: [Double]
      do {
        placed = try EmbeddingTransform.place(
          newPoints, reference: features, embedding: result.embedding, options: transformOptions,
          progress: progress.callback("placing"))
      } catch {
        throw FileError(transform, error.problem)
      }
      try NPYArray(shape: [newPoints.rows, 2], floats: placed.map { Float($0) }).write(to: transformOut)
      report.transform = TSNEReport.Transform(n: newPoints.rows, embedding: transformOut)
    }
    if let run { try JSONOutput.write(report, to: run.directory.tsneReportFile(run.tag)) }
    if common.json {
      try common.printJSON(report)
    } else {
      print(summary(report))
    }
  }

  private func addMetrics(
    to report: inout TSNEReport, features: FeatureMatrix, labels: [Int]?, result: TSNEResult,
    options: TSNEOptions, path: String
  ) throws {
    let n = features.rows
    let k = metricNeighbors
    let sampleSize = min(n, trustSample)
    if 2 * k < sampleSize {
      var rng = RandomGenerator(seed: common.seed).stream(100)
      let sample =
        sampleSize == n ? Array(0..<n) : Array(rng.permutation(n).prefix(sampleSize)).sorted()
      let embedding = sample.flatMap { [result.embedding[2 * $0], result.embedding[2 * $0 + 1]] }
      do {
        report.trustworthiness = try Trustworthiness.score(
          input: features.selecting(rows: sample), embedding: embedding, k: k, threads: options.threads)
        report.trustworthinessSample = sampleSize
        report.trustworthinessNeighbors = k
      } catch {
        throw FileError(path, error.problem)
      }
    } else {
      printWarning("trustworthiness(\(k)) needs more than \(2 * k) points; skipped")
    }
    if let labels, k < n {
      do {
        report.knnAccuracy = try NeighborAccuracy.embedding(result.embedding, labels: labels, k: k, threads: options.threads)
        report.knnNeighbors = k
      } catch {
        throw FileError(path, error.problem)
      }
    }
  }

  private func summary(_ report: TSNEReport) -> String {
    func number(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "–" }
    var lines = [
      "t-SNE of \(report.n) points (\(report.method), perplexity \(number(report.perplexity))): "
        + "KL \(number(report.klDivergence)) after \(report.iterations) iterations in \(String(format: "%.1f", report.seconds ?? 0)) s"
    ]
    if let trust = report.trustworthiness {
      lines.append("trustworthiness(\(metricNeighbors)) \(number(trust)) on \(report.trustworthinessSample ?? 0) points")
    }
    if let knn = report.knnAccuracy { lines.append("\(metricNeighbors)-NN accuracy (leave-one-out) \(number(knn))") }
    if let exact = report.klDivergenceExact { lines.append("exact KL \(number(exact))") }
    for path in report.embedding ?? [] { lines.append("wrote \(path)") }
    for path in report.figures ?? [] { lines.append("drew \(path)") }
    return lines.joined(separator: "\n")
  }
}

/// Seconds since `start`.
func seconds(since start: DispatchTime) -> Double {
  Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
