import Analysis
import Engine
import Foundation
import TestSupport
import Testing

@Suite struct MetricTests {
  @Test func trustworthinessMatchesScikitLearn() throws {
    let x = try Fixture.digits
    let y = try Fixture.doubles("digits200.embedding.npy")
    for k in [5, 10] {
      let ours = try Trustworthiness.score(input: x, embedding: y, k: k, threads: ThreadCount(2))
      #expect(abs(ours - (try Fixture.value("trustworthiness_\(k)"))) < 1e-12)
    }
    // scikit-learn's docstring example: blobs, PCA to 2-D, k = 5 → 0.92.
    let blobs = try Fixture.matrix("blobs.npy")
    let pca2 = try Fixture.doubles("blobs.pca2.npy")
    let blobTrust = try Trustworthiness.score(input: blobs, embedding: pca2, k: 5, threads: .one)
    #expect(abs(blobTrust - (try Fixture.value("blobs_trustworthiness_5"))) < 1e-12)
  }

  @Test func trustworthinessOfTheInputItselfIsOne() throws {
    var rng = RandomGenerator(seed: 9)
    let y = (0..<600).map { _ in rng.normal() }
    let x = FeatureMatrix(rows: 300, columns: 2, values: y.map { Float($0) })
    let same = x.values.map { Double($0) }
    #expect(try Trustworthiness.score(input: x, embedding: same, k: 7, threads: .one) == 1)
    #expect(throws: AnalysisInputError.self) {
      try Trustworthiness.score(input: x, embedding: same, k: 150, threads: .one)
    }
  }

  @Test func leaveOneOutAccuracyMatchesScikitLearn() throws {
    let labels = try Fixture.digitLabels
    let y = try Fixture.doubles("digits200.embedding.npy")
    #expect(
      abs(
        try NeighborAccuracy.embedding(y, labels: labels, k: 10, threads: .one)
          - (try Fixture.value("knn10_embedding_loo"))) < 1e-12)
    let cosine = try NeighborAccuracy.cosine(
      try Fixture.digits, labels: labels, k: 10, threads: ThreadCount(2))
    #expect(abs(cosine - (try Fixture.value("knn10_cosine_loo"))) < 1e-12)
  }

  @Test func randomScatterGivesChanceAccuracy() throws {
    var rng = RandomGenerator(seed: 10)
    let y = (0..<8000).map { _ in rng.normal() }
    let labels = (0..<4000).map { _ in rng.int(below: 4) }
    let accuracy = try NeighborAccuracy.embedding(y, labels: labels, k: 10, threads: ThreadCount(2))
    #expect(abs(accuracy - 0.25) < 0.04)
  }

  @Test func linearProbeMatchesScikitLearn() throws {
    let x = try Fixture.digits
    let labels = try Fixture.digitLabels
    let train = x.selecting(rows: Array(0..<150))
    let lambda = try Fixture.value("probe_lambda")
    let probe = try LinearProbe(fitting: train, labels: Array(labels[0..<150]), l2: lambda)
    // Same objective: the optimum values agree, and so do the weights (sklearn's coef_ is C×D).
    #expect(abs(probe.objective - (try Fixture.value("probe_objective"))) < 1e-8)
    let coef = try Fixture.doubles("digits200.probe.coef.npy")
    let c = probe.classes.count
    let ours = (0..<c).flatMap { k in (0..<64).map { probe.weights[$0 * c + k] } }
    let reference = (0..<c).flatMap { k in (0..<64).map { coef[k * 64 + $0] } }
    let largest = reference.map(abs).max() ?? 0
    #expect(maxAbsoluteDifference(ours, reference) < 1e-4 * largest)
    let test = x.selecting(rows: Array(150..<200))
    // Logits are the standardised features times the weights, plus the bias.
    let logits = probe.logits(test)
    for row in [0, 17, 49] {
      for k in 0..<c {
        var expected = probe.bias[k]
        for j in 0..<64 {
          expected += (Double(test.values[row * 64 + j]) - probe.mean[j]) / probe.scale[j] * probe.weights[j * c + k]
        }
        #expect(abs(logits[row * c + k] - expected) < 1e-9 * max(1, abs(expected)))
      }
    }
    #expect(
      abs(
        probe.accuracy(test, labels: Array(labels[150..<200]))
          - (try Fixture.value("probe_test_accuracy"))) < 1e-12)
  }

  @Test func probeOnOneHotLabelsIsPerfectAndOnNoiseIsChance() throws {
    var rng = RandomGenerator(seed: 11)
    let labels = (0..<600).map { _ in rng.int(below: 3) }
    let oneHot = FeatureMatrix(
      rows: 600, columns: 3, values: labels.flatMap { l in (0..<3).map { Float($0 == l ? 1 : 0) } })
    #expect(try LinearProbe.holdOutAccuracy(oneHot, labels: labels, seed: 0) == 1)
    let noise = Fixture.gaussian(600, 5, seed: 12)
    #expect(abs(try LinearProbe.holdOutAccuracy(noise, labels: labels, seed: 0) - 1.0 / 3) < 0.12)
  }

  @Test func pcaMatchesScikitLearn() throws {
    let x = try Fixture.digits
    let expected = try Fixture.doubles("digits200.pca5.components.npy")
    let variance = try Fixture.reference()["pca5_explained_variance"] as? [Double] ?? []
    // Block 15 < 64 columns: subspace iteration; 2 components of a 3-column slice: Jacobi.
    let pca = PCA(fitting: x, components: 5, seed: 0, threads: .one)
    for e in expected.indices { #expect(abs(pca.components[e] - expected[e]) < 1e-7) }
    for (a, b) in zip(pca.explainedVariance, variance) { #expect(abs(a - b) / b < 1e-10) }
    let projected = pca.transform(x)
    #expect(projected.columns == 5)
    var sum = 0.0
    for i in 0..<200 { sum += Double(projected.values[i * 5]) }
    #expect(abs(sum / 200) < 1e-4)
  }

  @Test func smallPCAUsesTheWholeCovariance() {
    // Points on a line in 3-D: one component carries all the variance.
    let x = FeatureMatrix(
      rows: 50, columns: 3, values: (0..<50).flatMap { i in [Float(i), Float(2 * i), Float(-i)] })
    let pca = PCA(fitting: x, components: 2, seed: 0, threads: .one)
    let direction = [1.0, 2.0, -1.0].map { $0 / 6.0.squareRoot() }
    for j in 0..<3 { #expect(abs(pca.components[j] - direction[j]) < 1e-12) }
    #expect(pca.explainedVariance[1] < 1e-10 * pca.explainedVariance[0])
  }
}
