import Analysis
import Engine
import Foundation
import TestSupport
import Testing

@Suite struct AffinityTests {
  @Test func everyRowReachesThePerplexity() throws {
    let x = try Fixture.digits
    let graph = ExactNeighbors.search(x, k: 30, threads: .one)
    let search = BandwidthSearch(perplexity: 10)
    for i in 0..<x.rows {
      let d2 = (0..<30).map { Double(graph.squaredDistances[i * 30 + $0]) }
      let (row, p) = search.solve(squaredDistances: d2)
      #expect(row.converged)
      #expect(abs(row.perplexity - 10) / 10 < 1e-4)
      #expect(abs(p.reduce(0, +) - 1) < 1e-12)
    }
  }

  @Test func shiftKeepsFarRowsFinite() {
    // Distances so large that exp(−d²) underflows without the shift.
    let d2 = (1...30).map { 1e6 + Double($0) }
    let (row, p) = BandwidthSearch(perplexity: 10).solve(squaredDistances: d2)
    #expect(row.converged)
    #expect(p.allSatisfy { $0.isFinite })
  }

  /// openTSNE's P on the same data (exact neighbours, perplexity 10).
  @Test func jointAffinitiesMatchOpenTSNE() throws {
    let x = try Fixture.digits
    let graph = ExactNeighbors.search(x, k: 30, threads: ThreadCount(2))
    let (conditional, unconverged) = Affinities.conditional(
      graph, perplexity: 10, threads: ThreadCount(2))
    #expect(unconverged == 0)
    let p = Affinities.joint(graph, conditional: conditional)
    let rows = try Fixture.array("digits200.p_rows.npy").integers() ?? []
    let cols = try Fixture.array("digits200.p_cols.npy").integers() ?? []
    let vals = try Fixture.doubles("digits200.p_values.npy")
    var expected = [Double](repeating: 0, count: 200 * 200)
    for e in vals.indices { expected[rows[e] * 200 + cols[e]] += vals[e] }
    let dense = p.dense()
    #expect(p.nonZeros == vals.count)
    let worst = maxAbsoluteDifference(dense, expected)
    // Both searches stop within 1e-8 of the target entropy, which moves p by ~1e-7 relative.
    #expect(worst < 1e-6 * (expected.max() ?? 1))
    // Symmetric, non-negative, sums to one.
    #expect(abs(dense.reduce(0, +) - 1) < 1e-12)
    for i in 0..<200 {
      for j in 0..<200 { #expect(dense[i * 200 + j] == dense[j * 200 + i]) }
    }
    #expect(dense.allSatisfy { $0 >= 0 })
  }

  @Test func breadthFirstRelabellingKeepsTheMatrix() throws {
    let x = try Fixture.digits
    let graph = ExactNeighbors.search(x, k: 30, threads: .one)
    let (conditional, _) = Affinities.conditional(graph, perplexity: 10, threads: .one)
    let p = Affinities.joint(graph, conditional: conditional)
    let order = p.breadthFirstOrder()
    #expect(order.sorted() == Array(0..<200))
    var newIndex = [Int](repeating: 0, count: 200)
    for (position, i) in order.enumerated() { newIndex[i] = position }
    let q = p.relabelled(newIndex)
    let dp = p.dense()
    let dq = q.dense()
    for i in 0..<200 {
      for j in 0..<200 { #expect(dq[newIndex[i] * 200 + newIndex[j]] == dp[i * 200 + j]) }
    }
    for i in 0..<200 {
      let row = q.columns[q.rowStart[i]..<q.rowStart[i + 1]]
      #expect(Array(row) == row.sorted())
    }
  }
}
