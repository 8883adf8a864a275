import Analysis
import Engine
import Foundation
import Testing

@Suite struct GradientTests {
  /// P of the digits fixture and a spread-out embedding (the openTSNE result).
  static func setting() throws -> (SparseAffinities, [Double]) {
    let x = try Fixture.digits
    let graph = ExactNeighbors.search(x, k: 30, threads: .one)
    let (conditional, _) = Affinities.conditional(graph, perplexity: 10, threads: .one)
    return (
      Affinities.joint(graph, conditional: conditional),
      try Fixture.doubles("digits200.embedding.npy")
    )
  }

  /// The repulsive part −(g − attraction), so errors are relative to what is approximated.
  static func repulsion(
    _ p: SparseAffinities, _ y: [Double], _ method: TSNEMethod, _ options: TSNEOptions
  ) -> ([Double], Double) {
    let full = TSNE.gradient(embedding: y, affinities: p, method: method, options: options)
    var zeroP = p
    zeroP.values = zeroP.values.map { _ in 0 }
    let repulsive = TSNE.gradient(embedding: y, affinities: zeroP, method: method, options: options)
    return (repulsive.gradient, full.normalizer)
  }

  static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    var num = 0.0
    var den = 0.0
    for e in a.indices {
      num += (a[e] - b[e]) * (a[e] - b[e])
      den += b[e] * b[e]
    }
    return (num / den).squareRoot()
  }

  /// The exact gradient equals a central finite difference of the exact KL (× 1/4).
  @Test func exactGradientMatchesFiniteDifferences() throws {
    let (p, y0) = try GradientTests.setting()
    let y = y0.map { $0 / 10 }
    let g = TSNE.gradient(embedding: y, affinities: p, method: .exact).gradient
    for e in [0, 7, 111, 398] {
      var plus = y
      var minus = y
      let h = 1e-5
      plus[e] += h
      minus[e] -= h
      let numeric =
        (KLDivergence.exact(affinities: p, embedding: plus, threads: .one)
          - KLDivergence.exact(affinities: p, embedding: minus, threads: .one)) / (2 * h)
      #expect(
        abs(4 * g[e] - numeric) <= 1e-6 * max(1, abs(numeric)),
        "coordinate \(e): \(4 * g[e]) vs \(numeric)")
    }
  }

  @Test(arguments: [1.0, 0.5])
  func barnesHutApproachesExact(dof: Double) throws {
    let (p, y) = try GradientTests.setting()
    var options = TSNEOptions()
    options.degreesOfFreedom = dof
    let (exact, zExact) = GradientTests.repulsion(p, y, .exact, options)
    options.theta = 0
    let (bh0, z0) = GradientTests.repulsion(p, y, .bh, options)
    #expect(GradientTests.relativeError(bh0, exact) < 1e-10)
    #expect(abs(z0 - zExact) / zExact < 1e-12)
    var previous = 0.0
    for theta in [0.2, 0.5, 0.8] {
      options.theta = theta
      let (bh, z) = GradientTests.repulsion(p, y, .bh, options)
      let error = GradientTests.relativeError(bh, exact)
      #expect(error < (theta == 0.5 ? 3e-2 : 0.1), "theta \(theta): \(error)")
      #expect(error > previous)
      #expect(abs(z - zExact) / zExact < (theta <= 0.5 ? 1e-2 : 3e-2))
      previous = error
    }
  }

  @Test(arguments: [1.0, 0.5])
  func interpolationApproachesExact(dof: Double) throws {
    let (p, y) = try GradientTests.setting()
    var options = TSNEOptions()
    options.degreesOfFreedom = dof
    let (exact, zExact) = GradientTests.repulsion(p, y, .exact, options)
    var previous = Double.infinity
    for width in [1.0, 0.5, 0.25] {
      options.boxWidth = width
      let (fft, z) = GradientTests.repulsion(p, y, .fft, options)
      let error = GradientTests.relativeError(fft, exact)
      #expect(error < 5e-2, "box width \(width): \(error)")
      #expect(error < previous)
      #expect(abs(z - zExact) / zExact < 1e-2)
      previous = error
    }
    // Other node counts use the general Lagrange weights: linear interpolation (2 nodes)
    // is coarser than the default 3, 4 nodes finer.
    options.boxWidth = 1
    var errors = [Int: Double]()
    for points in [2, 3, 4] {
      options.interpolationPoints = points
      errors[points] = GradientTests.relativeError(
        GradientTests.repulsion(p, y, .fft, options).0, exact)
    }
    #expect(errors[2]! > errors[3]!, "\(errors)")
    #expect(errors[4]! < errors[3]!, "\(errors)")
    #expect(errors[2]! < 0.2)
  }

  /// KL reported with the method's own Z equals the exact KL when Z is exact.
  @Test func exactMethodReportsTheExactKL() throws {
    let (p, y) = try GradientTests.setting()
    let kl = TSNE.gradient(embedding: y, affinities: p, method: .exact).klDivergence
    #expect(
      abs(kl - KLDivergence.exact(affinities: p, embedding: y, threads: ThreadCount(2))) < 1e-12)
  }
}
