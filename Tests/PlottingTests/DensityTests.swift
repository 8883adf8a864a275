import Foundation
import TestSupport
import Testing

@testable import Plotting

/// Densities and histograms against SciPy and NumPy (scripts/fixtures/plot_density.py).
@Suite struct DensityTests {
  struct Fixture: Decodable {
    struct KDE: Decodable {
      let values: [Double], grid: [Double], scott_bandwidth: Double, density: [Double]
      let fixed_bandwidth: Double, fixed_density: [Double]
    }
    struct Normal: Decodable { let mean: Double, variance: Double, x: [Double], density: [Double] }
    struct Hist: Decodable {
      let values: [Double], bins: Int, low: Double, high: Double, edges: [Double], counts: [Double], density: [Double]
    }
    struct VonMises: Decodable {
      let angles: [Double], theta: [Double], kappa: Double, density: [Double]
      let large_kappa: Double, large_density: [Double], rule_kappa: Double
    }
    struct KDE2D: Decodable { let x: [Double], y: [Double], size: Int, reach: Double, density: [Double] }
    let kde: KDE
    let normal: Normal
    let histogram: Hist
    let von_mises: VonMises
    let kde2d: KDE2D
  }

  let fixture: Fixture

  init() throws {
    let url = try #require(Bundle.module.url(forResource: "density", withExtension: "json", subdirectory: "Fixtures"))
    fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }

  @Test func gaussianKDEMatchesSciPy() throws {
    let kde = fixture.kde
    #expect(abs(Density.scottBandwidth(kde.values) - kde.scott_bandwidth) < 1e-12)
    #expect(maxRelativeError(try Density.gaussianKDE(kde.values, at: kde.grid), kde.density) < 1e-10)
    #expect(
      maxRelativeError(
        try Density.gaussianKDE(kde.values, at: kde.grid, bandwidth: kde.fixed_bandwidth), kde.fixed_density)
        < 1e-10)
    // NaN inputs are left out.
    #expect(
      try Density.gaussianKDE(kde.values + [.nan], at: kde.grid, bandwidth: kde.fixed_bandwidth)
        == Density.gaussianKDE(kde.values, at: kde.grid, bandwidth: kde.fixed_bandwidth))
    #expect(throws: PlotError.self) { try Density.gaussianKDE([.nan], at: [0]) }
  }

  @Test func normalDensityMatchesSciPy() {
    let normal = fixture.normal
    #expect(
      maxRelativeError(Density.normal(mean: normal.mean, variance: normal.variance, at: normal.x), normal.density)
        < 1e-12)
  }

  @Test func histogramMatchesNumPy() {
    let reference = fixture.histogram
    let histogram = Histogram(reference.values, bins: reference.bins, range: reference.low...reference.high)
    #expect(maxRelativeError(histogram.edges, reference.edges) < 1e-12)
    #expect(histogram.counts == reference.counts)
    #expect(maxRelativeError(histogram.density, reference.density) < 1e-12)
    #expect(Histogram([1, .nan, .infinity], bins: 2, range: 0...2).skipped == 2)
  }

  @Test func vonMisesKDEMatchesTheFormula() throws {
    let reference = fixture.von_mises
    let density = try Density.vonMisesKDE(reference.angles, at: reference.theta, concentration: reference.kappa)
    #expect(maxRelativeError(density, reference.density) < 1e-10)
    // A concentration where I₀(κ) overflows without scaling.
    let sharp = try Density.vonMisesKDE(reference.angles, at: reference.theta, concentration: reference.large_kappa)
    #expect(maxRelativeError(sharp, reference.large_density) < 1e-8)
    #expect(abs(Density.vonMisesConcentration(reference.angles) - reference.rule_kappa) < 1e-9 * reference.rule_kappa)
  }

  @Test func binnedTwoDimensionalKDEMatchesDirectEvaluation() throws {
    let reference = fixture.kde2d
    let density = try Density.gaussianKDE2D(
      x: reference.x, y: reference.y, range: -reference.reach...reference.reach, size: reference.size)
    // Linear binning moves each point by under a grid cell (here a fifth of the bandwidth);
    // the error stays under half a percent of the peak.
    let peak = reference.density.max()!
    let worst = zip(density, reference.density).map { abs($0 - $1) }.max()!
    #expect(worst < 0.005 * peak)
  }
}
