import CBLAS
import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Uniformity of Wang & Isola (2020), L_uniform(t) = ln E_{i<j} exp(−t ‖z_i − z_j‖²), over
/// all N(N−1)/2 pairs of a set of unit vectors — the global estimator, not a mean of
/// per-batch values.
///
/// The Gram matrix is formed in blocks of 256×2048 by `cblas_sgemm`, so memory does not
/// grow with N²; each block's terms are summed after subtracting the block's largest
/// exponent (a streaming log-sum-exp in Double), so no t underflows. Block partial sums
/// are combined in block order, so the value is the same for any thread count.
public enum Uniformity {
  /// L_uniform(t) of the rows of `unit` (already L2-normalised). Needs N ≥ 2.
  public static func value(
    _ unit: FeatureMatrix, t: Double = 2, threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) -> Double {
    withSingleThreadedBLAS { blockedValue(unit, t: t, threads: threads, progress: progress) }
  }

  private static func blockedValue(
    _ unit: FeatureMatrix, t: Double, threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)?
  ) -> Double {
    let n = unit.rows
    let d = unit.columns
    precondition(n >= 2, "Uniformity: needs at least two points")
    let norms = ExactNeighbors.squaredNorms(unit.values, d)
    let rowBlock = 256
    let columnBlock = 2048
    let chunks = (n + rowBlock - 1) / rowBlock
    var maxima = [Double](repeating: -.infinity, count: chunks)
    var sums = [Double](repeating: 0, count: chunks)
    let counter = ProgressCounter(total: chunks, progress)
    let tf = Float(t)
    maxima.withUnsafeMutableBufferPointer { mb in
      sums.withUnsafeMutableBufferPointer { sb in
        let maxOut = SendablePointer(mb.baseAddress!)
        let sumOut = SendablePointer(sb.baseAddress!)
        parallelFor(chunks: chunks, threads: threads) { chunk in
          let r0 = chunk * rowBlock
          let rows = min(rowBlock, n - r0)
          let product = UnsafeMutablePointer<Float>.allocate(capacity: rowBlock * columnBlock)
          let offsets = UnsafeMutablePointer<Float>.allocate(capacity: columnBlock + 8)
          defer {
            product.deallocate()
            offsets.deallocate()
          }
          var runningMax = -Double.infinity
          var runningSum = 0.0
          unit.values.withUnsafeBufferPointer { z in
            var c0 = r0
            while c0 < n {
              let cols = min(columnBlock, n - c0)
              // product = 2t·z_i·z_j; exponent = product − t‖z_j‖² − t‖z_i‖².
              cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d),
                2 * tf, z.baseAddress! + r0 * d, Int32(d), z.baseAddress! + c0 * d, Int32(d), 0,
                product, Int32(cols))
              for c in 0..<cols { offsets[c] = -tf * norms[c0 + c] }
              var blockMax = -Float.infinity
              for r in 0..<rows {
                let first = max(0, r0 + r + 1 - c0)
                let own = tf * norms[r0 + r]
                blockMax = max(blockMax, rowMaximum(product + r * cols, offsets, from: first, to: cols) - own)
              }
              if blockMax > -Float.infinity {
                let blockSum = sumExp(
                  product, offsets: offsets, rows: rows, cols: cols, r0: r0, c0: c0,
                  rowOffset: { tf * norms[r0 + $0] + blockMax })
                let m = Double(blockMax)
                if m > runningMax {
                  runningSum = runningSum * exp(runningMax - m) + blockSum
                  runningMax = m
                } else {
                  runningSum += blockSum * exp(m - runningMax)
                }
              }
              c0 += cols
            }
          }
          maxOut[chunk] = runningMax
          sumOut[chunk] = runningSum
          counter.advance()
        }
      }
    }
    var total = 0.0
    var globalMax = -Double.infinity
    for m in maxima { globalMax = max(globalMax, m) }
    for c in 0..<chunks where sums[c] > 0 { total += sums[c] * exp(maxima[c] - globalMax) }
    let pairs = Double(n) * Double(n - 1) / 2
    return globalMax + log(total) - log(pairs)
  }

  /// max over c in first..<end of row[c] + offsets[c], eight lanes at a time (Float's
  /// `max` keeps NaN rules and does not vectorise).
  @inline(__always)
  private static func rowMaximum(
    _ row: UnsafeMutablePointer<Float>, _ offsets: UnsafeMutablePointer<Float>, from first: Int, to end: Int
  ) -> Float {
    var lanes = SIMD8<Float>(repeating: -.infinity)
    var c = first
    let rawRow = UnsafeRawPointer(row)
    let rawOffsets = UnsafeRawPointer(offsets)
    while c + 8 <= end {
      let v = rawRow.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
        + rawOffsets.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
      lanes.replace(with: v, where: v .> lanes)
      c += 8
    }
    var best = -Float.infinity
    for t in 0..<8 where lanes[t] > best { best = lanes[t] }
    while c < end {
      best = max(best, row[c] + offsets[c])
      c += 1
    }
    return best
  }

  /// Σ over the block's pairs i < j of exp(product + offset_j − rowOffset(i)), with
  /// eight lanes summed in Float over at most 64 terms before going to Double.
  @inline(__always)
  private static func sumExp(
    _ product: UnsafeMutablePointer<Float>, offsets: UnsafeMutablePointer<Float>, rows: Int,
    cols: Int,
    r0: Int, c0: Int, rowOffset: (Int) -> Float
  ) -> Double {
    var total = 0.0
    for r in 0..<rows {
      let first = max(0, r0 + r + 1 - c0)
      if first >= cols { continue }
      let shift = SIMD8<Float>(repeating: rowOffset(r))
      let row = UnsafeRawPointer(product + r * cols)
      let off = UnsafeRawPointer(offsets)
      var c = first
      var rowSum = 0.0
      while c + 8 <= cols {
        var lanes = SIMD8<Float>()
        var steps = 0
        while c + 8 <= cols && steps < 8 {
          let v =
            row.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            + off.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self) - shift
          lanes += fastExp(v)
          c += 8
          steps += 1
        }
        rowSum += Double(lanes.sum())
      }
      var tail = SIMD8<Float>(repeating: -Float.infinity)
      for e in 0..<(cols - c) { tail[e] = product[r * cols + c + e] + offsets[c + e] - shift[0] }
      if c < cols {
        let values = fastExp(tail)
        for e in 0..<(cols - c) { rowSum += Double(values[e]) }
      }
      total += rowSum
    }
    return total
  }

  /// L*(d, t): the uniformity of the uniform distribution on S^(d−1), the lowest value a
  /// d-dimensional encoder can reach as N → ∞:
  /// −2t + ln[Γ(d/2) (2/κ)^(d/2−1) I_(d/2−1)(κ)] with κ = 2t (I = modified Bessel).
  public static func uniformSphere(dimension d: Int, t: Double = 2) -> Double {
    precondition(d >= 2, "Uniformity.uniformSphere: dimension must be at least 2")
    let nu = Double(d) / 2 - 1
    let kappa = 2 * t
    return -2 * t + lgamma(Double(d) / 2) + nu * log(2 / kappa) + logBesselI(nu, kappa)
  }

  /// ln I_ν(x) by its power series, summed in logs (no overflow for large ν).
  static func logBesselI(_ nu: Double, _ x: Double) -> Double {
    let logHalf = log(x / 2)
    var terms = [Double]()
    var m = 0.0
    while true {
      let term = (2 * m + nu) * logHalf - lgamma(m + 1) - lgamma(m + nu + 1)
      terms.append(term)
      if m > x && term < (terms.max() ?? term) - 40 { break }
      m += 1
    }
    let top = terms.max() ?? 0
    return top + log(terms.reduce(0.0) { $0 + exp($1 - top) })
  }
}
