import Analysis
import Engine
import Foundation
import Testing

@Suite struct HypersphereTests {
  /// The d+1 vertices of a regular simplex: every pair has ‖z_i − z_j‖² = 2 + 2/d, so
  /// L_uniform = −t(2 + 2/d) exactly.
  @Test(arguments: [2, 5, 40])
  func regularSimplexHasClosedFormUniformity(d: Int) throws {
    var rows = [[Double]]()
    for i in 0...d {
      // e_i − centroid in R^(d+1), normalised, lives in a d-dimensional subspace.
      rows.append((0...d).map { ($0 == i ? 1 : 0) - 1 / Double(d + 1) })
    }
    let x = FeatureMatrix(rows: d + 1, columns: d + 1, values: rows.flatMap { $0.map(Float.init) })
    let metrics = try HypersphereMetrics.measure(features: x, t: 2, threads: .one)
    #expect(abs(metrics.uniformity - (-2 * (2 + 2 / Double(d)))) < 1e-6)
  }

  /// N evenly spread points on the circle: the pair sum has the closed form
  /// (N/2)·Σ_{m=1}^{N−1} exp(−2t(1 − cos 2πm/N)); the sum over all m (self included) is
  /// N·exp(L*(2)) to machine precision (the trapezoid rule of a periodic function), so
  /// L_uniform = ln((N·exp(L*) − 1)/(N − 1)) ties the estimator to the Bessel closed form.
  @Test func evenlySpreadCircle() throws {
    let n = 3000
    let x = FeatureMatrix(
      rows: n, columns: 2,
      values: (0..<n).flatMap { i -> [Float] in
        let a = 2 * Double.pi * Double(i) / Double(n)
        return [Float(cos(a)), Float(sin(a))]
      })
    let t = 2.0
    let metrics = try HypersphereMetrics.measure(features: x, t: t, threads: ThreadCount(2))
    var sum = 0.0
    for m in 1..<n { sum += exp(-2 * t * (1 - cos(2 * Double.pi * Double(m) / Double(n)))) }
    let closed = log(sum / Double(n - 1))
    #expect(abs(metrics.uniformity - closed) < 1e-6)
    let bessel = log(
      (Double(n) * exp(Uniformity.uniformSphere(dimension: 2, t: t)) - 1) / Double(n - 1))
    #expect(abs(metrics.uniformity - bessel) < 1e-6)
  }

  /// Spec §3.1 table of L*(d, t = 2).
  @Test func uniformSphereBoundMatchesTheTable() {
    let table: [(Int, Double)] = [
      (2, -1.5750), (3, -2.0798), (8, -3.0825), (16, -3.5130), (32, -3.7518), (64, -3.8752),
      (128, -3.9375), (256, -3.9688),
    ]
    for (d, value) in table {
      #expect(abs(Uniformity.uniformSphere(dimension: d, t: 2) - value) < 1e-4, "d = \(d)")
    }
    #expect(abs(Uniformity.uniformSphere(dimension: 2000, t: 2) - (-4 + 8.0 / 2000)) < 1e-4)
  }

  /// The blocked, streamed estimator equals the dense Double formula; rows cross the
  /// 256-row and 2048-column blocks; large t does not underflow.
  @Test func blockedUniformityEqualsDenseFormula() throws {
    let x = try Fixture.gaussian(2300, 16, seed: 13).l2Normalized()
    for t in [2.0, 60.0] {
      let ours = Uniformity.value(x, t: t, threads: ThreadCount(2))
      var terms = [Double]()
      for i in 0..<x.rows {
        for j in (i + 1)..<x.rows {
          var s = 0.0
          for k in 0..<16 {
            s += pow(Double(x.values[i * 16 + k]) - Double(x.values[j * 16 + k]), 2)
          }
          terms.append(-t * s)
        }
      }
      let top = terms.max() ?? 0
      let dense = top + log(terms.reduce(0.0) { $0 + exp($1 - top) } / Double(terms.count))
      #expect(abs(ours - dense) < 1e-5 * max(1, abs(dense)), "t = \(t): \(ours) vs \(dense)")
      #expect(ours.isFinite)
    }
    #expect(
      Uniformity.value(x, t: 2, threads: .one) == Uniformity.value(x, t: 2, threads: ThreadCount(3))
    )
  }

  /// Against SsnL/align_uniform's own `align_loss` and `uniform_loss` (torch, float64;
  /// scripts/fixtures/align_uniform.py) on real data: 200 digits and the same digits
  /// translated one pixel, with their labels.
  @Test func matchesTheReferenceImplementationOnRealData() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixture.path("align_uniform.json")))
    let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    func value(_ key: String) throws -> Double { try #require(reference[key] as? Double, "\(key)") }
    func close(_ a: Double?, _ b: Double, _ what: String) {
      let error = a.map { abs($0 - b) } ?? .infinity
      #expect(error <= 1e-6 * max(1, abs(b)), "\(what): \(String(describing: a)) vs \(b)")
    }
    let x = try Fixture.digits
    let positives = try Fixture.matrix("digits200.shifted.npy")
    let labels = try Fixture.digitLabels
    for t in [2.0, 0.5] {
      let m = try HypersphereMetrics.measure(features: x, positives: positives, labels: labels, t: t, threads: .init(2))
      let suffix = "_t\(t == 2 ? "2" : "0.5")"
      close(m.uniformity, try value("uniformity" + suffix), "uniformity t \(t)")
      close(m.positivesUniformity, try value("uniformity_positives" + suffix), "positives t \(t)")
      close(m.bothViewsUniformity, try value("uniformity_both_views" + suffix), "both views t \(t)")
      close(m.alignment, try value("alignment_alpha2"), "alignment")
      close(m.tolerance, try value("tolerance"), "tolerance")
      if t == 2 {
        let perClass = try #require(reference["per_class_uniformity_t2"] as? [String: Double])
        #expect(perClass.count == 10 && m.perClassUniformity.count == 10)
        for (label, expected) in perClass { close(m.perClassUniformity[Int(label)!], expected, "class \(label)") }
      }
    }
    let z = try x.l2Normalized()
    let zp = try positives.l2Normalized()
    for (alpha, key) in [(1.0, "alignment_alpha1"), (0.5, "alignment_alpha0.5")] {
      close(Alignment.value(z, zp, alpha: alpha), try value(key), "alignment α \(alpha)")
    }
  }

  @Test func alignmentAndDegenerateCases() throws {
    let x = Fixture.gaussian(300, 8, seed: 14)
    let z = try x.l2Normalized()
    let same = try HypersphereMetrics.measure(features: x, positives: x, threads: .one)
    #expect(same.alignment == 0)
    let opposite = FeatureMatrix(rows: 300, columns: 8, values: x.values.map { -$0 })
    #expect(
      abs(
        try HypersphereMetrics.measure(features: x, positives: opposite, threads: .one).alignment!
          - 4) < 1e-6)
    #expect(abs(Alignment.value(z, z, alpha: 1)) == 0)
    // All features equal: total collapse, uniformity 0.
    let collapsed = FeatureMatrix(rows: 50, columns: 4, values: (0..<200).map { Float($0 % 4 + 1) })
    #expect(
      abs(try HypersphereMetrics.measure(features: collapsed, threads: .one).uniformity) < 1e-6)
    // Permutation invariance (up to the order of Float partial sums).
    let permuted = x.selecting(rows: (0..<300).reversed())
    #expect(
      abs(
        try HypersphereMetrics.measure(features: permuted, threads: .one).uniformity
          - (try HypersphereMetrics.measure(features: x, threads: .one).uniformity)) < 1e-7)
  }

  @Test func classStructure() throws {
    // Two classes at ±e1 with a little spread: tolerance ≈ 1, per-class values, distances.
    var rng = RandomGenerator(seed: 15)
    var values = [Float]()
    var labels = [Int]()
    for i in 0..<400 {
      let sign: Float = i % 2 == 0 ? 1 : -1
      values += [
        sign, Float(rng.normal(mean: 0, std: 0.05)), Float(rng.normal(mean: 0, std: 0.05)),
      ]
      labels.append(i % 2 == 0 ? 7 : 3)
    }
    let x = FeatureMatrix(rows: 400, columns: 3, values: values)
    let m = try HypersphereMetrics.measure(features: x, labels: labels, threads: ThreadCount(2))
    let z = try x.l2Normalized()
    // Tolerance by brute force over same-class pairs.
    var dot = 0.0
    var pairs = 0.0
    for i in 0..<400 {
      for j in 0..<400 where i != j && labels[i] == labels[j] {
        var s = 0.0
        for k in 0..<3 { s += Double(z.values[i * 3 + k]) * Double(z.values[j * 3 + k]) }
        dot += s
        pairs += 1
      }
    }
    #expect(abs(m.tolerance! - dot / pairs) < 1e-9)
    #expect(abs(m.toleranceUnconditional! - dot / (400 * 399)) < 1e-9)
    #expect(Set(m.perClassUniformity.keys) == [3, 7])
    #expect(
      abs(
        m.perClassUniformity[7]!
          - Uniformity.value(
            z.selecting(rows: Array(stride(from: 0, to: 400, by: 2))), threads: .one)) < 1e-12)
    #expect(abs(m.interClassDistance! - 2) < 0.01)
    #expect(m.intraClassDistance! < 0.1)
  }

  @Test func badInputIsReported() {
    let x = Fixture.gaussian(10, 4, seed: 16)
    #expect(throws: AnalysisInputError("positives have shape [9, 4], features [10, 4]")) {
      try HypersphereMetrics.measure(
        features: x, positives: x.selecting(rows: Array(0..<9)), threads: .one)
    }
    #expect(throws: AnalysisInputError("9 labels for 10 feature rows")) {
      try HypersphereMetrics.measure(features: x, labels: Array(0..<9), threads: .one)
    }
    var zero = x
    for j in 0..<4 { zero.values[2 * 4 + j] = 0 }
    #expect(throws: AnalysisInputError("row 2 is all zeros and cannot be L2-normalised")) {
      try HypersphereMetrics.measure(features: zero, threads: .one)
    }
  }
}
