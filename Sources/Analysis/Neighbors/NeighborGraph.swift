/// The k nearest neighbours of every point (the point itself excluded), nearest first.
///
/// Row `i` holds `indices[i*k ..< (i+1)*k]` and the matching squared Euclidean distances.
/// Ties in distance are broken by the smaller index, so the graph is the same for any
/// thread count.
public struct NeighborGraph: Sendable, Equatable {
  /// Number of query points (rows).
  public let count: Int
  /// Neighbours per point.
  public let k: Int
  /// Neighbour indices, `count * k`, nearest first.
  public var indices: [Int32]
  /// Squared Euclidean distances matching `indices`.
  public var squaredDistances: [Float]

  /// A graph from row-major neighbour lists (`count * k` each).
  public init(count: Int, k: Int, indices: [Int32], squaredDistances: [Float]) {
    precondition(
      indices.count == count * k && squaredDistances.count == count * k,
      "NeighborGraph: sizes do not match")
    self.count = count
    self.k = k
    self.indices = indices
    self.squaredDistances = squaredDistances
  }

  /// The first `k` neighbours of every row (rows are sorted, so this is the kNN graph
  /// for a smaller k).
  public func truncated(to k: Int) -> NeighborGraph {
    precondition(k <= self.k, "NeighborGraph.truncated: k \(k) > \(self.k)")
    var idx = [Int32]()
    var dist = [Float]()
    idx.reserveCapacity(count * k)
    dist.reserveCapacity(count * k)
    for i in 0..<count {
      idx += indices[i * self.k..<i * self.k + k]
      dist += squaredDistances[i * self.k..<i * self.k + k]
    }
    return NeighborGraph(count: count, k: k, indices: idx, squaredDistances: dist)
  }
}

/// How to find nearest neighbours.
public enum NeighborMethod: String, Sendable, CaseIterable {
  /// Exact search below `NeighborMethod.exactLimit` points, the approximate index above.
  case auto
  /// Exact search by blocked matrix products (O(N²D)).
  case exact
  /// Random-projection forest refined by nearest-neighbour descent (about O(N log N · D)).
  case approximate

  /// Up to this many points `auto` searches exactly. At k = 90 and 50 dimensions, 2 threads,
  /// exact search took 7 s at 100,000 points (approximate 10 s) and 43 s at 200,000
  /// (approximate 20 s): `clens-bench tsne knn synthetic:N`.
  public static let exactLimit = 125_000

  /// The method `auto` stands for at `n` points.
  public func resolved(for n: Int) -> NeighborMethod {
    switch self {
    case .auto: n <= NeighborMethod.exactLimit ? .exact : .approximate
    case .exact, .approximate: self
    }
  }
}
