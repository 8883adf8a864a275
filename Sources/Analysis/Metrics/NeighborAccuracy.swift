import Engine

/// Leave-one-out k-nearest-neighbour classification accuracy: each point is classified
/// by the majority label of its k nearest other points (a tie goes to the smallest
/// label, as scikit-learn's `KNeighborsClassifier` with uniform weights decides it).
public enum NeighborAccuracy {
  /// Accuracy for a precomputed neighbour graph (its first k neighbours are used).
  public static func leaveOneOut(_ graph: NeighborGraph, labels: [Int], k: Int)
    throws(AnalysisInputError) -> Double
  {
    guard labels.count == graph.count else {
      throw AnalysisInputError("\(labels.count) labels for \(graph.count) points")
    }
    guard k >= 1, k <= graph.k else { throw AnalysisInputError("k must be in 1...\(graph.k)") }
    var correct = 0
    var votes = [Int: Int]()
    for i in 0..<graph.count {
      votes.removeAll(keepingCapacity: true)
      for e in 0..<k { votes[labels[Int(graph.indices[i * graph.k + e])], default: 0] += 1 }
      var best = Int.max
      var bestVotes = 0
      for (label, count) in votes where count > bestVotes || (count == bestVotes && label < best) {
        best = label
        bestVotes = count
      }
      if best == labels[i] { correct += 1 }
    }
    return Double(correct) / Double(graph.count)
  }

  /// Accuracy in a 2-D embedding ([x0, y0, ...]), Euclidean distance.
  public static func embedding(_ y: [Double], labels: [Int], k: Int, threads: ThreadCount)
    throws(AnalysisInputError) -> Double
  {
    let n = y.count / 2
    guard k >= 1, k < n else { throw AnalysisInputError("k must be in 1..<N (k \(k), N \(n))") }
    return try leaveOneOut(PlanarNeighbors.search(y, k: k, threads: threads), labels: labels, k: k)
  }

  /// Accuracy in feature space by cosine similarity (Euclidean distance between the
  /// L2-normalised features orders neighbours the same way).
  public static func cosine(_ features: FeatureMatrix, labels: [Int], k: Int, threads: ThreadCount)
    throws(AnalysisInputError) -> Double
  {
    guard k >= 1, k < features.rows else {
      throw AnalysisInputError("k must be in 1..<N (k \(k), N \(features.rows))")
    }
    let normalized = try features.l2Normalized()
    return try leaveOneOut(
      ExactNeighbors.search(normalized, k: k, threads: threads), labels: labels, k: k)
  }
}
