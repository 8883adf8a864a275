import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The sparse half of the t-SNE gradient: Σ_j p_ij (1 + ‖y_i − y_j‖²/α)^(−1) (y_i − y_j)
/// for every point, and on request the embedding's part of KL, −Σ p_ij ln w_ij (the
/// constant Σ p ln p is `entropyTerm`, computed once).
enum Attraction {
  /// Writes `scale` × the attractive force of every row of `p` into `forces`. Columns of
  /// `p` index `reference` (the embedding itself, or the fixed reference embedding when
  /// placing new points). Returns (−Σ p ln w, Σ p) when `evaluateKL` is set.
  static func forces(
    _ p: SparseAffinities, y: UnsafeBufferPointer<Double>, reference: UnsafeBufferPointer<Double>,
    dof: Double, scale: Double, into forces: UnsafeMutableBufferPointer<Double>,
    evaluateKL: Bool, threads: ThreadCount
  ) -> (kl: Double, mass: Double) {
    let n = p.count
    let chunks = (n + tsneChunk - 1) / tsneChunk
    var klParts = [Double](repeating: 0, count: chunks)
    var massParts = [Double](repeating: 0, count: chunks)
    let ys = SendablePointer(UnsafeMutablePointer(mutating: y.baseAddress!))
    let refs = SendablePointer(UnsafeMutablePointer(mutating: reference.baseAddress!))
    let out = SendablePointer(forces.baseAddress!)
    let inverseDof = 1 / dof
    klParts.withUnsafeMutableBufferPointer { kb in
      massParts.withUnsafeMutableBufferPointer { mb in
        let klOut = SendablePointer(kb.baseAddress!)
        let massOut = SendablePointer(mb.baseAddress!)
        p.rowStart.withUnsafeBufferPointer { starts in
          p.columns.withUnsafeBufferPointer { cols in
            p.values.withUnsafeBufferPointer { vals in
              let s = SendablePointer(UnsafeMutablePointer(mutating: starts.baseAddress!))
              let c = SendablePointer(UnsafeMutablePointer(mutating: cols.baseAddress!))
              let v = SendablePointer(UnsafeMutablePointer(mutating: vals.baseAddress!))
              parallelFor(chunks: chunks, threads: threads) { chunk in
                var klChunk = 0.0
                var massChunk = 0.0
                for i in chunk * tsneChunk..<min(n, (chunk + 1) * tsneChunk) {
                  let xi = ys[2 * i]
                  let yi = ys[2 * i + 1]
                  let (fx, fy) = rowForce(
                    xi, yi, start: s[i], end: s[i + 1], columns: c.base, values: v.base,
                    points: refs.base,
                    inverseDof: inverseDof)
                  out[2 * i] = scale * fx
                  out[2 * i + 1] = scale * fy
                  if evaluateKL {
                    for e in s[i]..<s[i + 1] {
                      let j = Int(c[e])
                      let dx = xi - refs[2 * j]
                      let dy = yi - refs[2 * j + 1]
                      // −ln w = α ln(1 + d²/α)
                      klChunk += v[e] * dof * log1p((dx * dx + dy * dy) * inverseDof)
                      massChunk += v[e]
                    }
                  }
                }
                klOut[chunk] = klChunk
                massOut[chunk] = massChunk
              }
            }
          }
        }
      }
    }
    return (orderedSum(klParts), orderedSum(massParts))
  }

  /// Σ_e p_e (1 + ‖y_i − y_j‖²/α)^(−1) (y_i − y_j) over the entries of one row, four
  /// entries at a time (scalar loads gather the neighbours; the division is vectorised).
  @inline(__always)
  static func rowForce(
    _ xi: Double, _ yi: Double, start: Int, end: Int, columns: UnsafeMutablePointer<Int32>,
    values: UnsafeMutablePointer<Double>, points: UnsafeMutablePointer<Double>, inverseDof: Double
  ) -> (Double, Double) {
    var fx = SIMD4<Double>()
    var fy = SIMD4<Double>()
    let px = SIMD4(repeating: xi)
    let py = SIMD4(repeating: yi)
    let a = SIMD4(repeating: inverseDof)
    var e = start
    while e + 4 <= end {
      let j0 = Int(columns[e])
      let j1 = Int(columns[e + 1])
      let j2 = Int(columns[e + 2])
      let j3 = Int(columns[e + 3])
      let dx = px - SIMD4(points[2 * j0], points[2 * j1], points[2 * j2], points[2 * j3])
      let dy =
        py - SIMD4(points[2 * j0 + 1], points[2 * j1 + 1], points[2 * j2 + 1], points[2 * j3 + 1])
      let p = UnsafeRawPointer(values + e).loadUnaligned(as: SIMD4<Double>.self)
      let pq = p / (1 + (dx * dx + dy * dy) * a)
      fx += pq * dx
      fy += pq * dy
      e += 4
    }
    var sx = fx.sum()
    var sy = fy.sum()
    while e < end {
      let j = Int(columns[e])
      let dx = xi - points[2 * j]
      let dy = yi - points[2 * j + 1]
      let pq = values[e] / (1 + (dx * dx + dy * dy) * inverseDof)
      sx += pq * dx
      sy += pq * dy
      e += 1
    }
    return (sx, sy)
  }

  /// Σ p ln p over the stored entries (zeros contribute nothing).
  static func entropyTerm(_ p: SparseAffinities) -> Double {
    var sum = 0.0
    for v in p.values where v > 0 { sum += v * log(v) }
    return sum
  }
}
