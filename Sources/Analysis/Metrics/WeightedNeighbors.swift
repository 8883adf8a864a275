import CBLAS
import Engine
import Foundation

/// The weighted kNN classifier the contrastive papers monitor representations with
/// (Wu et al.'s instance discrimination, used by MoCo and SupContrast's kNN monitors):
/// each query's k most cosine-similar training features vote for their label with
/// weight exp(similarity / τ); the class with the largest summed weight wins (the
/// smallest label on a tie).
public enum WeightedNeighbors {
  /// The accuracy on `queries` of the kNN over `memory` (both L2-normalised here).
  public static func accuracy(
    memory: FeatureMatrix, memoryLabels: [Int], queries: FeatureMatrix, queryLabels: [Int], k: Int = 200,
    temperature: Double = 0.1, threads: ThreadCount
  ) throws(AnalysisInputError) -> Double {
    guard memory.columns == queries.columns else {
      throw AnalysisInputError("the memory has \(memory.columns) dimensions, the queries \(queries.columns)")
    }
    guard memoryLabels.count == memory.rows, queryLabels.count == queries.rows else {
      throw AnalysisInputError("one label per row of the memory and of the queries")
    }
    guard k >= 1, k <= memory.rows else { throw AnalysisInputError("k must be in 1...\(memory.rows), got \(k)") }
    guard temperature > 0 && temperature.isFinite else { throw AnalysisInputError("the temperature must be positive") }
    let bank = try memory.l2Normalized()
    let probes = try queries.l2Normalized()
    let classes = (memoryLabels.max() ?? 0) + 1
    let d = bank.columns
    let blocks = evenRanges(probes.rows, parts: max(1, (probes.rows + 255) / 256))
    var correct = [Int](repeating: 0, count: blocks.count)
    correct.withUnsafeMutableBufferPointer { counts in
      let countsPointer = SendablePointer(counts.baseAddress!)
      withSingleThreadedBLAS {
        parallelFor(chunks: blocks.count, threads: threads) { block in
          let range = blocks[block]
          var similarity = [Float](repeating: 0, count: range.count * bank.rows)
          probes.values.withUnsafeBufferPointer { q in
            bank.values.withUnsafeBufferPointer { m in
              cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(range.count), Int32(bank.rows), Int32(d), 1,
                q.baseAddress! + range.lowerBound * d, Int32(d), m.baseAddress!, Int32(d), 0, &similarity,
                Int32(bank.rows))
            }
          }
          var hits = 0
          var votes = [Double](repeating: 0, count: classes)
          for (row, query) in range.enumerated() {
            let scores = similarity[(row * bank.rows)..<((row + 1) * bank.rows)]
            let nearest = topIndices(scores, k: k)
            for i in 0..<classes { votes[i] = 0 }
            for j in nearest {
              votes[memoryLabels[j]] += Foundation.exp(Double(scores[scores.startIndex + j]) / temperature)
            }
            var best = 0
            for c in 1..<classes where votes[c] > votes[best] { best = c }
            if best == queryLabels[query] { hits += 1 }
          }
          countsPointer.base[block] = hits
        }
      }
    }
    return queries.rows == 0 ? 0 : Double(correct.reduce(0, +)) / Double(queries.rows)
  }

  /// The indices of the k largest values (ties to the smaller index), in no order.
  static func topIndices(_ values: ArraySlice<Float>, k: Int) -> [Int] {
    var distances = [Double](repeating: 0, count: k)
    var indices = [Int32](repeating: 0, count: k)
    return distances.withUnsafeMutableBufferPointer { d in
      indices.withUnsafeMutableBufferPointer { i in
        var heap = NeighborHeap(k: k, distances: d.baseAddress!, indices: i.baseAddress!)
        for (j, value) in values.enumerated() { heap.offer(-Double(value), Int32(j)) }
        return (0..<heap.count).map { Int(heap.index(at: $0)) }
      }
    }
  }
}
