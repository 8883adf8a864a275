import Engine

/// Exact k-nearest-neighbour search for 2-D points (t-SNE embeddings), in Double.
///
/// The points are sorted by x; each query walks outwards in that order and stops when the
/// x-gap alone exceeds its k-th best distance. Unlike the matrix-product search it has
/// no cancellation, which matters for embeddings whose coordinates reach the hundreds.
public enum PlanarNeighbors {
  /// The k nearest other points of every point; `points` is [x0, y0, x1, y1, ...].
  public static func search(_ points: [Double], k: Int, threads: ThreadCount) -> NeighborGraph {
    let n = points.count / 2
    precondition(
      points.count == 2 * n && k >= 1 && k < n, "PlanarNeighbors: need 2-D points and 1 <= k < N")
    let order = (0..<n).sorted { (a: Int, b: Int) -> Bool in
      let xa = points[2 * a]
      let xb = points[2 * b]
      return xa < xb || (xa == xb && a < b)
    }
    var positions = [Int](repeating: 0, count: n)
    for (p, i) in order.enumerated() { positions[i] = p }
    let position = positions
    let xs = order.map { points[2 * $0] }
    let ys = order.map { points[2 * $0 + 1] }
    var indices = [Int32](repeating: 0, count: n * k)
    var distances = [Float](repeating: 0, count: n * k)
    let chunkSize = 1024
    let chunks = (n + chunkSize - 1) / chunkSize
    indices.withUnsafeMutableBufferPointer { ib in
      distances.withUnsafeMutableBufferPointer { db in
        let outIdx = SendablePointer(ib.baseAddress!)
        let outDist = SendablePointer(db.baseAddress!)
        parallelFor(chunks: chunks, threads: threads) { chunk in
          let heapDist = UnsafeMutablePointer<Double>.allocate(capacity: k)
          let heapIdx = UnsafeMutablePointer<Int32>.allocate(capacity: k)
          defer {
            heapDist.deallocate()
            heapIdx.deallocate()
          }
          for i in chunk * chunkSize..<min(n, (chunk + 1) * chunkSize) {
            var heap = NeighborHeap(k: k, distances: heapDist, indices: heapIdx)
            let p = position[i]
            let x = xs[p]
            let y = ys[p]
            var left = p - 1
            var right = p + 1
            while left >= 0 || right < n {
              let gapLeft = left >= 0 ? x - xs[left] : .infinity
              let gapRight = right < n ? xs[right] - x : .infinity
              let goLeft = gapLeft <= gapRight
              let gap = goLeft ? gapLeft : gapRight
              if gap * gap > heap.threshold { break }
              let q = goLeft ? left : right
              let dx = x - xs[q]
              let dy = y - ys[q]
              heap.offer(dx * dx + dy * dy, Int32(order[q]))
              if goLeft { left -= 1 } else { right += 1 }
            }
            heap.sortAscending()
            for j in 0..<k {
              outIdx[i * k + j] = heapIdx[j]
              outDist[i * k + j] = Float(heapDist[j])
            }
          }
        }
      }
    }
    return NeighborGraph(count: n, k: k, indices: indices, squaredDistances: distances)
  }
}
