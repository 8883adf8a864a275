import Engine

/// A sparse N×N matrix in compressed-row form with Double values: t-SNE's input
/// affinities P.
public struct SparseAffinities: Sendable, Equatable {
  /// Number of rows (points).
  public let count: Int
  /// Row `i` is `columns[rowStart[i] ..< rowStart[i+1]]`, columns ascending.
  public var rowStart: [Int]
  /// Column of each stored entry.
  public var columns: [Int32]
  /// Value of each stored entry.
  public var values: [Double]

  /// A matrix from its compressed-row arrays.
  public init(count: Int, rowStart: [Int], columns: [Int32], values: [Double]) {
    precondition(
      rowStart.count == count + 1 && columns.count == values.count
        && rowStart.last == columns.count,
      "SparseAffinities: inconsistent arrays")
    self.count = count
    self.rowStart = rowStart
    self.columns = columns
    self.values = values
  }

  /// Number of stored entries.
  public var nonZeros: Int { values.count }

  /// A breadth-first order of the points through P's graph (each component from its
  /// smallest index, neighbours in column order): position p holds the old index. Points
  /// with affinity then sit close in memory, which keeps the gathers of the attractive
  /// forces in cache for large N.
  public func breadthFirstOrder() -> [Int] {
    var order = [Int]()
    order.reserveCapacity(count)
    var seen = [Bool](repeating: false, count: count)
    for start in 0..<count where !seen[start] {
      seen[start] = true
      order.append(start)
      var head = order.count - 1
      while head < order.count {
        let i = order[head]
        head += 1
        for e in rowStart[i]..<rowStart[i + 1] where !seen[Int(columns[e])] {
          seen[Int(columns[e])] = true
          order.append(Int(columns[e]))
        }
      }
    }
    return order
  }

  /// The same matrix with point i renamed `newIndex[i]` (a permutation).
  public func relabelled(_ newIndex: [Int]) -> SparseAffinities {
    precondition(newIndex.count == count, "SparseAffinities.relabelled: permutation size")
    var start = [Int](repeating: 0, count: count + 1)
    for i in 0..<count { start[newIndex[i] + 1] = rowStart[i + 1] - rowStart[i] }
    for i in 0..<count { start[i + 1] += start[i] }
    var cols = [Int32](repeating: 0, count: nonZeros)
    var vals = [Double](repeating: 0, count: nonZeros)
    for i in 0..<count {
      let target = start[newIndex[i]]
      let entries = (rowStart[i]..<rowStart[i + 1]).map { (Int32(newIndex[Int(columns[$0])]), values[$0]) }
        .sorted { $0.0 < $1.0 }
      for (e, entry) in entries.enumerated() {
        cols[target + e] = entry.0
        vals[target + e] = entry.1
      }
    }
    return SparseAffinities(count: count, rowStart: start, columns: cols, values: vals)
  }

  /// The dense matrix, row-major (for tests and tiny N).
  public func dense() -> [Double] {
    var out = [Double](repeating: 0, count: count * count)
    for i in 0..<count {
      for e in rowStart[i]..<rowStart[i + 1] { out[i * count + Int(columns[e])] += values[e] }
    }
    return out
  }
}

/// Input affinities of t-SNE from a kNN graph.
public enum Affinities {
  /// Conditional probabilities p_{j|i} over each point's k neighbours, each row with
  /// the given perplexity; rows are in the graph's order. Also returns how many rows
  /// stopped at the search's step limit.
  public static func conditional(
    _ graph: NeighborGraph, perplexity: Double, threads: ThreadCount
  ) -> (values: [Double], unconverged: Int) {
    let k = graph.k
    let n = graph.count
    let search = BandwidthSearch(perplexity: perplexity)
    var values = [Double](repeating: 0, count: n * k)
    let chunkSize = 1024
    let chunks = (n + chunkSize - 1) / chunkSize
    var failures = [Int](repeating: 0, count: chunks)
    values.withUnsafeMutableBufferPointer { vb in
      failures.withUnsafeMutableBufferPointer { fb in
        let out = SendablePointer(vb.baseAddress!)
        let fails = SendablePointer(fb.baseAddress!)
        parallelFor(chunks: chunks, threads: threads) { chunk in
          let d2 = UnsafeMutablePointer<Double>.allocate(capacity: k)
          defer { d2.deallocate() }
          var failed = 0
          graph.squaredDistances.withUnsafeBufferPointer { dist in
            for i in chunk * chunkSize..<min(n, (chunk + 1) * chunkSize) {
              for j in 0..<k { d2[j] = Double(dist[i * k + j]) }
              let row = search.solve(
                squaredDistances: UnsafeBufferPointer(start: d2, count: k),
                probabilities: UnsafeMutableBufferPointer(start: out.base + i * k, count: k))
              if !row.converged { failed += 1 }
            }
          }
          fails[chunk] = failed
        }
      }
    }
    return (values, failures.reduce(0, +))
  }

  /// The symmetric joint distribution P = (P_cond + P_condᵀ) / sum, which sums to 1.
  /// `conditional` is the output of `conditional(_:perplexity:threads:)` for `graph`.
  public static func joint(_ graph: NeighborGraph, conditional: [Double]) -> SparseAffinities {
    let n = graph.count
    let k = graph.k
    // Each row sorted by column, for merging.
    var rowCols = [Int32](repeating: 0, count: n * k)
    var rowVals = [Double](repeating: 0, count: n * k)
    for i in 0..<n {
      let order = (0..<k).sorted { graph.indices[i * k + $0] < graph.indices[i * k + $1] }
      for (slot, j) in order.enumerated() {
        rowCols[i * k + slot] = graph.indices[i * k + j]
        rowVals[i * k + slot] = conditional[i * k + j]
      }
    }
    // Transpose by counting sort; rows of the transpose come out sorted by column
    // because sources are visited in increasing order.
    var tStart = [Int](repeating: 0, count: n + 1)
    for c in rowCols { tStart[Int(c) + 1] += 1 }
    for i in 0..<n { tStart[i + 1] += tStart[i] }
    var fill = tStart
    var tCols = [Int32](repeating: 0, count: n * k)
    var tVals = [Double](repeating: 0, count: n * k)
    for i in 0..<n {
      for e in i * k..<(i + 1) * k {
        let c = Int(rowCols[e])
        tCols[fill[c]] = Int32(i)
        tVals[fill[c]] = rowVals[e]
        fill[c] += 1
      }
    }
    // Merge row i of P_cond with row i of its transpose.
    var start = [Int](repeating: 0, count: n + 1)
    var cols = [Int32]()
    var vals = [Double]()
    cols.reserveCapacity(2 * n * k)
    vals.reserveCapacity(2 * n * k)
    var total = 0.0
    for i in 0..<n {
      var a = i * k
      let aEnd = a + k
      var b = tStart[i]
      let bEnd = tStart[i + 1]
      while a < aEnd || b < bEnd {
        let ca = a < aEnd ? rowCols[a] : Int32.max
        let cb = b < bEnd ? tCols[b] : Int32.max
        var v = 0.0
        let c = min(ca, cb)
        if ca == c {
          v += rowVals[a]
          a += 1
        }
        if cb == c {
          v += tVals[b]
          b += 1
        }
        cols.append(c)
        vals.append(v)
        total += v
      }
      start[i + 1] = cols.count
    }
    let scale = 1 / total
    for e in vals.indices { vals[e] *= scale }
    return SparseAffinities(count: n, rowStart: start, columns: cols, values: vals)
  }

  /// Row-normalised affinities of new points to reference points (no symmetrisation),
  /// for placing points into an existing embedding.
  public static func pointwise(_ graph: NeighborGraph, conditional: [Double]) -> SparseAffinities {
    let k = graph.k
    var cols = [Int32]()
    var vals = [Double]()
    cols.reserveCapacity(graph.count * k)
    vals.reserveCapacity(graph.count * k)
    for i in 0..<graph.count {
      let order = (0..<k).sorted { graph.indices[i * k + $0] < graph.indices[i * k + $1] }
      for j in order {
        cols.append(graph.indices[i * k + j])
        vals.append(conditional[i * k + j])
      }
    }
    return SparseAffinities(
      count: graph.count, rowStart: (0...graph.count).map { $0 * k }, columns: cols, values: vals)
  }
}
