import CBLAS
import Engine

/// Exact k-nearest-neighbour search by squared Euclidean distance, in blocks of a
/// matrix product: ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b with the products from `cblas_sgemm`.
///
/// The data are centred first (distances do not change, the cancellation in the
/// formula shrinks). The k winners of every row are then re-measured directly in Double,
/// so the returned distances are exact and the order is by exact distance, then index.
public enum ExactNeighbors {
  /// The k nearest other rows of `data` for every row of `data`.
  public static func search(
    _ data: FeatureMatrix, k: Int, threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) -> NeighborGraph {
    precondition(
      k >= 1 && k < data.rows, "ExactNeighbors: need 1 <= k < N (k \(k), N \(data.rows))")
    return withSingleThreadedBLAS {
      run(
        queries: data, reference: data, excludeSelf: true, k: k, threads: threads,
        progress: progress)
    }
  }

  /// The k nearest rows of `reference` for every row of `queries`.
  public static func search(
    queries: FeatureMatrix, reference: FeatureMatrix, k: Int, threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) -> NeighborGraph {
    precondition(queries.columns == reference.columns, "ExactNeighbors: dimensions differ")
    precondition(k >= 1 && k <= reference.rows, "ExactNeighbors: need 1 <= k <= reference rows")
    return withSingleThreadedBLAS {
      run(
        queries: queries, reference: reference, excludeSelf: false, k: k, threads: threads,
        progress: progress)
    }
  }

  private static let rowBlock = 128
  private static let columnBlock = 2048

  private static func run(
    queries: FeatureMatrix, reference: FeatureMatrix, excludeSelf: Bool, k: Int,
    threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)?
  ) -> NeighborGraph {
    let d = reference.columns
    let nq = queries.rows
    let nr = reference.rows
    let mean = columnMeans(reference)
    let q = centred(queries, mean)
    let r = excludeSelf ? q : centred(reference, mean)
    let qNorms = squaredNorms(q, d)
    let rNorms = excludeSelf ? qNorms : squaredNorms(r, d)
    var indices = [Int32](repeating: 0, count: nq * k)
    var distances = [Float](repeating: 0, count: nq * k)
    let chunks = (nq + rowBlock - 1) / rowBlock
    let counter = ProgressCounter(total: chunks, progress)
    indices.withUnsafeMutableBufferPointer { idxBuffer in
      distances.withUnsafeMutableBufferPointer { distBuffer in
        let outIdx = SendablePointer(idxBuffer.baseAddress!)
        let outDist = SendablePointer(distBuffer.baseAddress!)
        parallelFor(chunks: chunks, threads: threads) { chunk in
          let r0 = chunk * rowBlock
          let rows = min(rowBlock, nq - r0)
          let product = UnsafeMutablePointer<Float>.allocate(capacity: rowBlock * columnBlock)
          let heapDist = UnsafeMutablePointer<Double>.allocate(capacity: rows * k)
          let heapIdx = UnsafeMutablePointer<Int32>.allocate(capacity: rows * k)
          defer {
            product.deallocate()
            heapDist.deallocate()
            heapIdx.deallocate()
          }
          var heaps = (0..<rows).map {
            NeighborHeap(k: k, distances: heapDist + $0 * k, indices: heapIdx + $0 * k)
          }
          q.withUnsafeBufferPointer { qp in
            r.withUnsafeBufferPointer { rp in
              qNorms.withUnsafeBufferPointer { qn in
                rNorms.withUnsafeBufferPointer { rn in
                  var c0 = 0
                  while c0 < nr {
                    let cols = min(columnBlock, nr - c0)
                    cblas_sgemm(
                      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d),
                      -2, qp.baseAddress! + r0 * d, Int32(d), rp.baseAddress! + c0 * d, Int32(d),
                      0, product, Int32(cols))
                    for row in 0..<rows {
                      scan(
                        product + row * cols, norms: rn.baseAddress! + c0, count: cols, offset: c0,
                        own: qn[r0 + row], skip: excludeSelf ? r0 + row : -1, heap: &heaps[row])
                    }
                    c0 += cols
                  }
                  // Re-measure the winners exactly and order them.
                  for row in 0..<rows {
                    let qi = qp.baseAddress! + (r0 + row) * d
                    for j in 0..<heaps[row].count {
                      let idx = Int(heapIdx[row * k + j])
                      heapDist[row * k + j] = exactSquaredDistance(qi, rp.baseAddress! + idx * d, d)
                    }
                    // Finite features always fill the heap; never copy slots it did not fill.
                    precondition(heaps[row].count == k, "ExactNeighbors: row \(r0 + row) found \(heaps[row].count) of \(k) neighbours (non-finite distances)")
                    heaps[row].sortAscending()
                    for j in 0..<k {
                      outIdx[(r0 + row) * k + j] = heapIdx[row * k + j]
                      outDist[(r0 + row) * k + j] = Float(heapDist[row * k + j])
                    }
                  }
                }
              }
            }
          }
          counter.advance()
        }
      }
    }
    return NeighborGraph(count: nq, k: k, indices: indices, squaredDistances: distances)
  }

  /// Offers the columns of one product row whose distance ‖q‖² + ‖r‖² − 2q·r beats the
  /// heap's threshold; sixteen columns are tested at once, and only a block with a winner
  /// is looked at one by one.
  @inline(__always)
  static func scan(
    _ product: UnsafePointer<Float>, norms: UnsafePointer<Float>, count: Int, offset: Int,
    own: Float, skip: Int, heap: inout NeighborHeap
  ) {
    var threshold = Float(heap.threshold) - own
    var c = 0
    let raw = UnsafeRawPointer(product)
    let rawNorms = UnsafeRawPointer(norms)
    while c + 16 <= count {
      let a =
        raw.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
        + rawNorms.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
      let b =
        raw.loadUnaligned(fromByteOffset: 4 * c + 32, as: SIMD8<Float>.self)
        + rawNorms.loadUnaligned(fromByteOffset: 4 * c + 32, as: SIMD8<Float>.self)
      let limit = SIMD8<Float>(repeating: threshold)
      // OR the comparison masks as integers: `any` on a mask compiles to a slow loop.
      let hits =
        unsafeBitCast(a .<= limit, to: SIMD8<Int32>.self)
        | unsafeBitCast(b .<= limit, to: SIMD8<Int32>.self)
      let half = hits.lowHalf | hits.highHalf
      let quarter = half.lowHalf | half.highHalf
      if quarter[0] | quarter[1] != 0 {
        for t in 0..<16 {
          let d = t < 8 ? a[t] : b[t - 8]
          if d <= threshold && offset + c + t != skip {
            heap.offer(Double(d + own), Int32(offset + c + t))
            threshold = Float(heap.threshold) - own
          }
        }
      }
      c += 16
    }
    while c < count {
      let d = product[c] + norms[c]
      if d <= threshold && offset + c != skip {
        heap.offer(Double(d + own), Int32(offset + c))
        threshold = Float(heap.threshold) - own
      }
      c += 1
    }
  }

  /// The exact squared distance of two rows, summed in Double.
  @inline(__always)
  static func exactSquaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int)
    -> Double
  {
    Distances.exact(a, b, d)
  }

  static func columnMeans(_ m: FeatureMatrix) -> [Double] {
    var mean = [Double](repeating: 0, count: m.columns)
    m.values.withUnsafeBufferPointer { v in
      for i in 0..<m.rows {
        for j in 0..<m.columns { mean[j] += Double(v[i * m.columns + j]) }
      }
    }
    let scale = 1 / Double(max(m.rows, 1))
    return mean.map { $0 * scale }
  }

  static func centred(_ m: FeatureMatrix, _ mean: [Double]) -> [Float] {
    var out = [Float](repeating: 0, count: m.values.count)
    let d = m.columns
    m.values.withUnsafeBufferPointer { v in
      for i in 0..<m.rows {
        for j in 0..<d { out[i * d + j] = Float(Double(v[i * d + j]) - mean[j]) }
      }
    }
    return out
  }

  static func squaredNorms(_ values: [Float], _ d: Int) -> [Float] {
    let n = d == 0 ? 0 : values.count / d
    return values.withUnsafeBufferPointer { v in
      (0..<n).map { i in
        var sum = 0.0
        for j in 0..<d { sum += Double(v[i * d + j]) * Double(v[i * d + j]) }
        return Float(sum)
      }
    }
  }
}
