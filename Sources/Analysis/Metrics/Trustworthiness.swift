import Engine

/// Trustworthiness T(k) of an embedding (Venna & Kaski 2001), as scikit-learn defines it:
///
///   T(k) = 1 − 2 / (N k (2N − 3k − 1)) · Σ_i Σ_{j ∈ U_i} (r(i, j) − k)
///
/// where U_i are the k nearest neighbours of i in the embedding that are not among its k
/// nearest in the input, and r(i, j) is the rank of j among i's input neighbours (1 =
/// nearest; ties by index). Input distances are exact (Double, by differences), computed
/// a row at a time, so memory is O(N) and time O(N²(D + k)); pass a sample for large N.
public enum Trustworthiness {
  /// T(k) of `embedding` ([x0, y0, ...]) for the rows of `input`; k < N/2.
  public static func score(
    input: FeatureMatrix, embedding: [Double], k: Int, threads: ThreadCount
  ) throws(AnalysisInputError) -> Double {
    let n = input.rows
    let d = input.columns
    guard embedding.count == 2 * n else {
      throw AnalysisInputError("embedding has \(embedding.count / 2) points, input has \(n)")
    }
    guard k >= 1, 2 * k < n else {
      throw AnalysisInputError("trustworthiness needs 1 <= k < N/2 (k \(k), N \(n))")
    }
    let embedded = PlanarNeighbors.search(embedding, k: k, threads: threads)
    let total = chunkedSum(count: n, chunkSize: 64, threads: threads) { points in
      var distances = [Double](repeating: 0, count: n)
      var penalty = 0.0
      input.values.withUnsafeBufferPointer { x in
        for i in points {
          let xi = x.baseAddress! + i * d
          for j in 0..<n {
            distances[j] = ExactNeighbors.exactSquaredDistance(xi, x.baseAddress! + j * d, d)
          }
          for e in 0..<k {
            let j = Int(embedded.indices[i * k + e])
            let dj = distances[j]
            var rank = 1
            for l in 0..<n where l != i && (distances[l] < dj || (distances[l] == dj && l < j)) {
              rank += 1
            }
            if rank > k { penalty += Double(rank - k) }
          }
        }
      }
      return penalty
    }
    return 1 - total * 2 / (Double(n) * Double(k) * (2 * Double(n) - 3 * Double(k) - 1))
  }
}
