import Analysis
import Engine
import Foundation
import Testing

@Suite struct NeighborTests {
  /// Brute-force neighbours in Double, ties by index.
  static func bruteForce(_ x: FeatureMatrix, k: Int) -> [[Int]] {
    let d = x.columns
    return (0..<x.rows).map { i in
      let dist = (0..<x.rows).map { j -> Double in
        var s = 0.0
        for t in 0..<d {
          let e = Double(x.values[i * d + t]) - Double(x.values[j * d + t])
          s += e * e
        }
        return s
      }
      return (0..<x.rows).filter { $0 != i }.sorted {
        dist[$0] < dist[$1] || (dist[$0] == dist[$1] && $0 < $1)
      }
      .prefix(k).map { $0 }
    }
  }

  @Test func exactMatchesBruteForce() {
    // 2600 points cross the 2048-column and 128-row blocks.
    let x = Fixture.gaussian(2600, 7, seed: 1)
    let graph = ExactNeighbors.search(x, k: 12, threads: ThreadCount(2))
    let truth = NeighborTests.bruteForce(x, k: 12)
    var mismatches = 0
    for i in 0..<x.rows where graph.indices[i * 12..<(i + 1) * 12].map(Int.init) != truth[i] {
      mismatches += 1
    }
    #expect(mismatches == 0)
    // Distances are re-measured exactly.
    let d = x.columns
    let j = Int(graph.indices[0])
    var s = 0.0
    for t in 0..<d { s += pow(Double(x.values[t]) - Double(x.values[j * d + t]), 2) }
    #expect(abs(Double(graph.squaredDistances[0]) - s) <= 1e-6 * s)
  }

  @Test func queriesAgainstAReference() {
    let reference = Fixture.gaussian(500, 5, seed: 2)
    let queries = Fixture.gaussian(40, 5, seed: 3)
    let graph = ExactNeighbors.search(queries: queries, reference: reference, k: 5, threads: .one)
    let both = FeatureMatrix(rows: 540, columns: 5, values: reference.values + queries.values)
    let truth = NeighborTests.bruteForce(both, k: 30)
    for q in 0..<40 {
      let fromReference = truth[500 + q].filter { $0 < 500 }.prefix(5)
      #expect(graph.indices[q * 5..<(q + 1) * 5].map(Int.init) == Array(fromReference))
    }
  }

  @Test func planarMatchesBruteForce() {
    var rng = RandomGenerator(seed: 4)
    let y = (0..<3000).map { _ in rng.normal(mean: 0, std: 30) }
    let graph = PlanarNeighbors.search(y, k: 10, threads: ThreadCount(2))
    for i in stride(from: 0, to: 1500, by: 37) {
      let order = (0..<1500).filter { $0 != i }.sorted { a, b in
        let da = pow(y[2 * i] - y[2 * a], 2) + pow(y[2 * i + 1] - y[2 * a + 1], 2)
        let db = pow(y[2 * i] - y[2 * b], 2) + pow(y[2 * i + 1] - y[2 * b + 1], 2)
        return da < db || (da == db && a < b)
      }
      #expect(graph.indices[i * 10..<(i + 1) * 10].map(Int.init) == Array(order.prefix(10)))
    }
  }

  @Test func approximateIsAccurateAndDeterministic() {
    let x = Fixture.gaussian(3000, 10, seed: 5)
    let exact = ExactNeighbors.search(x, k: 15, threads: ThreadCount(2))
    let one = ApproximateNeighbors.search(x, k: 15, seed: 7, threads: .one)
    let two = ApproximateNeighbors.search(x, k: 15, seed: 7, threads: ThreadCount(2))
    #expect(one == two)
    var hits = 0
    for i in 0..<x.rows {
      let truth = Set(exact.indices[i * 15..<(i + 1) * 15])
      hits += one.indices[i * 15..<(i + 1) * 15].filter { truth.contains($0) }.count
    }
    let recall = Double(hits) / Double(x.rows * 15)
    #expect(recall > 0.95, "recall \(recall)")
    // No self, no duplicates.
    for i in 0..<x.rows {
      let row = one.indices[i * 15..<(i + 1) * 15]
      #expect(!row.contains(Int32(i)))
      #expect(Set(row).count == 15)
    }
  }
}
