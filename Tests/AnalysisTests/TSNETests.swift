import Analysis
import Engine
import Foundation
import Testing

@Suite struct TSNETests {
  static func options(_ method: TSNEMethod, threads: Int = 2) -> TSNEOptions {
    var o = TSNEOptions()
    o.perplexity = 10
    o.method = method
    o.threads = ThreadCount(threads)
    return o
  }

  /// KL(P‖Q) straight from the definition with dense matrices.
  static func directKL(_ p: SparseAffinities, _ y: [Double]) -> Double {
    let n = p.count
    let dense = p.dense()
    var w = [Double](repeating: 0, count: n * n)
    var z = 0.0
    for i in 0..<n {
      for j in 0..<n where i != j {
        let d2 = pow(y[2 * i] - y[2 * j], 2) + pow(y[2 * i + 1] - y[2 * j + 1], 2)
        w[i * n + j] = 1 / (1 + d2)
        z += w[i * n + j]
      }
    }
    var kl = 0.0
    for e in dense.indices where dense[e] > 0 { kl += dense[e] * log(dense[e] / (w[e] / z)) }
    return kl
  }

  @Test func exactMethodKLEqualsDirectComputation() throws {
    let result = try TSNE.fit(try Fixture.digits, options: TSNETests.options(.exact))
    #expect(result.method == .exact)
    let direct = TSNETests.directKL(result.affinities, result.embedding)
    #expect(abs(result.klDivergence - direct) < 1e-10)
    // Close to openTSNE's KL for the same data and settings (different init and kNN ties).
    let reference = try Fixture.value("opentsne_kl")
    #expect(
      abs(result.klDivergence - reference) / reference < 0.05,
      "\(result.klDivergence) vs openTSNE \(reference)")
    // Zero mean, finite, spread out (final std of a converged embedding is far above 1e-4).
    #expect(result.embedding.allSatisfy { $0.isFinite })
    let meanX = stride(from: 0, to: 400, by: 2).map { result.embedding[$0] }.reduce(0, +) / 200
    #expect(abs(meanX) < 1e-9)
    #expect(result.klTrace.count == 15)
    #expect(result.klTrace.last!.iteration == 750)
    #expect(result.learningRates == [200.0 / 12, 200])
  }

  /// Same seed, same bits — also across thread counts, for every method.
  @Test(arguments: [TSNEMethod.exact, .bh, .fft])
  func deterministicAcrossThreadCounts(method: TSNEMethod) throws {
    var options = TSNETests.options(method, threads: 1)
    options.iterations = 100
    let x = try Fixture.digits
    let one = try TSNE.fit(x, options: options)
    let again = try TSNE.fit(x, options: options)
    options.threads = ThreadCount(3)
    let three = try TSNE.fit(x, options: options)
    #expect(one.embedding == again.embedding)
    #expect(one.embedding == three.embedding)
    #expect(one.klDivergence == three.klDivergence)
    options.seed = 1
    let other = try TSNE.fit(x, options: options)
    #expect(other.embedding != one.embedding)
  }

  @Test(arguments: [TSNEMethod.bh, .fft])
  func approximateMethodsReachTheExactQuality(method: TSNEMethod) throws {
    let x = try Fixture.digits
    let labels = try Fixture.digitLabels
    let result = try TSNE.fit(x, options: TSNETests.options(method))
    let exactKL = KLDivergence.exact(
      affinities: result.affinities, embedding: result.embedding, threads: ThreadCount(2))
    #expect(abs(result.klDivergence - exactKL) / exactKL < 0.03)
    let trust = try Trustworthiness.score(
      input: x, embedding: result.embedding, k: 10, threads: ThreadCount(2))
    let referenceTrust = try Fixture.value("trustworthiness_10")
    #expect(trust > referenceTrust - 0.01)
    let accuracy = try NeighborAccuracy.embedding(
      result.embedding, labels: labels, k: 10, threads: .one)
    let referenceAccuracy = try Fixture.value("knn10_embedding_loo")
    #expect(accuracy > referenceAccuracy - 0.03)
  }

  @Test func heavyTailsAndRandomInitialisation() throws {
    var options = TSNETests.options(.bh)
    options.degreesOfFreedom = 0.6
    options.initialization = .random
    options.iterations = 200
    let result = try TSNE.fit(try Fixture.digits, options: options)
    let exact = KLDivergence.exact(
      affinities: result.affinities, embedding: result.embedding, dof: 0.6, threads: .one)
    #expect(result.embedding.allSatisfy { $0.isFinite })
    #expect(abs(result.klDivergence - exact) / exact < 0.05)
  }

  @Test func badInputIsReported() throws {
    var x = try Fixture.digits
    x.values[3 * 64 + 5] = .nan
    #expect(throws: AnalysisInputError("row 3 contains NaN or infinity")) {
      try TSNE.fit(x, options: TSNEOptions())
    }
    x.values[3 * 64 + 5] = .infinity
    #expect(throws: AnalysisInputError("row 3 contains NaN or infinity")) {
      try TSNE.fit(x, options: TSNEOptions())
    }
    let three = FeatureMatrix(rows: 3, columns: 2, values: [0, 1, 2, 3, 4, 5])
    #expect(throws: AnalysisInputError("t-SNE needs at least 4 points, got 3")) {
      try TSNE.fit(three, options: TSNEOptions())
    }
    var bad = TSNEOptions()
    bad.perplexity = -1
    #expect(throws: AnalysisInputError("perplexity must be a positive number")) {
      try TSNE.fit(try Fixture.digits, options: bad)
    }
  }

  /// openTSNE clamps a perplexity too large for N to (N−1)/3 and says so; so do we.
  @Test func perplexityIsClampedWithAWarning() throws {
    let x = try Fixture.digits.selecting(rows: Array(0..<40))
    var options = TSNETests.options(.exact)
    options.perplexity = 30
    options.iterations = 50
    let result = try TSNE.fit(x, options: options)
    #expect(result.perplexity == 13)
    #expect(result.neighbors == 39)
    #expect(result.warnings.count == 1)
    #expect(result.warnings[0].contains("perplexity 30.0 is too large for 40 points"))
  }

  @Test(arguments: [TransformMethod.exact, .interpolation])
  func transformPlacesPointsIndependently(method: TransformMethod) throws {
    let x = try Fixture.digits
    let reference = x.selecting(rows: Array(0..<160))
    let result = try TSNE.fit(reference, options: TSNETests.options(.bh))
    let newPoints = x.selecting(rows: Array(160..<200))
    var options = TransformOptions()
    options.method = method
    let together = try EmbeddingTransform.place(
      newPoints, reference: reference, embedding: result.embedding, options: options)
    let alone = try EmbeddingTransform.place(
      newPoints.selecting(rows: [7]), reference: reference, embedding: result.embedding,
      options: options)
    #expect(Array(together[14..<16]) == alone)
    // Placed points land among reference points of their class.
    let labels = try Fixture.digitLabels
    let all = result.embedding + together
    let accuracy = try NeighborAccuracy.embedding(all, labels: labels, k: 10, threads: .one)
    #expect(accuracy > 0.9)
    // A reference point placed again lands near its own position.
    let again = try EmbeddingTransform.place(
      reference.selecting(rows: [3]), reference: reference, embedding: result.embedding,
      options: options)
    let spread = TSNETests.spread(result.embedding)
    #expect(hypot(again[0] - result.embedding[6], again[1] - result.embedding[7]) < 0.1 * spread)
  }

  static func spread(_ y: [Double]) -> Double {
    let xs = stride(from: 0, to: y.count, by: 2).map { y[$0] }
    return (xs.max() ?? 0) - (xs.min() ?? 0)
  }
}
