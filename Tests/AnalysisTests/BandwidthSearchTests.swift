import Analysis
import Testing

@Suite struct BandwidthSearchTests {
  /// Spec §1.2 anchor: 90 neighbours at distances 0.1·j, perplexity 30 → β ≈ 0.23087,
  /// first probabilities ≈ 0.05560, 0.05522, 0.05458 (openTSNE reaches 30.00000005).
  @Test func referenceRow() {
    let d2 = (1...90).map { (0.1 * Double($0)) * (0.1 * Double($0)) }
    let (row, p) = BandwidthSearch(perplexity: 30).solve(squaredDistances: d2)
    #expect(row.converged)
    #expect(abs(row.beta - 0.23087) < 5e-5)
    #expect(abs(row.perplexity - 30) < 1e-6)
    #expect(abs(p[0] - 0.05560) < 5e-6)
    #expect(abs(p[1] - 0.05522) < 5e-6)
    #expect(abs(p[2] - 0.05458) < 5e-6)
    #expect(abs(p.reduce(0, +) - 1) < 1e-12)
  }
}
