import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The N-body half of the t-SNE gradient. For a 2-D embedding y and the kernel
/// w_ij = (1 + ‖y_i − y_j‖²/α)^(−α), an implementation writes the unnormalised repulsive
/// force Σ_j w_ij^(1+1/α) (y_i − y_j) of every point into `forces` and returns the
/// normaliser Z = Σ_{i≠j} w_ij. Exact, Barnes–Hut and FFT-interpolation versions conform.
protocol Repulsion {
  mutating func forces(
    _ y: UnsafeBufferPointer<Double>, into forces: UnsafeMutableBufferPointer<Double>
  ) -> Double
}

/// Points per parallel work item in the t-SNE loops. Fixed (not derived from the thread
/// count) so that partial sums, and with them every result, are the same for any number
/// of threads.
let tsneChunk = 512

/// The smallest and largest x and y of 2-D points [x0, y0, x1, y1, ...].
func boundingBox<C: Collection<Double>>(_ y: C) -> (
  minX: Double, maxX: Double, minY: Double, maxY: Double
)
where C.Index == Int {
  var minX = Double.infinity
  var maxX = -Double.infinity
  var minY = Double.infinity
  var maxY = -Double.infinity
  for i in 0..<y.count / 2 {
    minX = min(minX, y[y.startIndex + 2 * i])
    maxX = max(maxX, y[y.startIndex + 2 * i])
    minY = min(minY, y[y.startIndex + 2 * i + 1])
    maxY = max(maxY, y[y.startIndex + 2 * i + 1])
  }
  return (minX, maxX, minY, maxY)
}

/// Sums `count` per-chunk partial sums in chunk order.
func orderedSum(_ partials: [Double]) -> Double {
  var total = 0.0
  for p in partials { total += p }
  return total
}

/// Σ of `body` over the fixed chunks of 0..<count (`chunkSize` each): chunks run in
/// parallel and their sums are added in chunk order, so any thread count gives the same
/// total bit for bit.
func chunkedSum(
  count: Int, chunkSize: Int = tsneChunk, threads: ThreadCount,
  _ body: @Sendable (Range<Int>) -> Double
) -> Double {
  let chunks = (count + chunkSize - 1) / chunkSize
  var partial = [Double](repeating: 0, count: chunks)
  partial.withUnsafeMutableBufferPointer { pb in
    let part = SendablePointer(pb.baseAddress!)
    parallelFor(chunks: chunks, threads: threads) { chunk in
      part[chunk] = body(chunk * chunkSize..<min(count, (chunk + 1) * chunkSize))
    }
  }
  return orderedSum(partial)
}

/// The exact O(N²) repulsion, for tiny N and as the reference for the approximations.
struct ExactRepulsion: Repulsion {
  let dof: Double
  let threads: ThreadCount

  mutating func forces(
    _ y: UnsafeBufferPointer<Double>, into forces: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    let n = y.count / 2
    let dof = self.dof
    let ys = SendablePointer(UnsafeMutablePointer(mutating: y.baseAddress!))
    let out = SendablePointer(forces.baseAddress!)
    return chunkedSum(count: n, threads: threads) { points in
      var zChunk = 0.0
      for i in points {
        let xi = ys[2 * i]
        let yi = ys[2 * i + 1]
        var fx = 0.0
        var fy = 0.0
        var z = 0.0
        if dof == 1 {
          for j in 0..<n {
            let dx = xi - ys[2 * j]
            let dy = yi - ys[2 * j + 1]
            let w = 1 / (1 + dx * dx + dy * dy)
            z += w
            let w2 = w * w
            fx += w2 * dx
            fy += w2 * dy
          }
        } else {
          for j in 0..<n {
            let dx = xi - ys[2 * j]
            let dy = yi - ys[2 * j + 1]
            let base = 1 + (dx * dx + dy * dy) / dof
            let w = pow(base, -dof)
            z += w
            let wq = w / base
            fx += wq * dx
            fy += wq * dy
          }
        }
        out[2 * i] = fx
        out[2 * i + 1] = fy
        zChunk += z - 1  // the j = i term is exactly 1
      }
      return zChunk
    }
  }
}
