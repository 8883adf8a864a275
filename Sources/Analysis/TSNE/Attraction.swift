#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Engine

/// The sparse half of the t-SNE gradient: Σ_j p_ij (1 + ‖y_i − y_j‖²/α)^(−1) (y_i − y_j)
/// for every point, and on request the KL term Σ p_ij ln(p_ij / w_ij).
enum Attraction {
  /// Writes `scale` × the attractive force of every row of `p` into `forces`. Columns of
  /// `p` index `reference` (the embedding itself, or the fixed reference embedding when
  /// placing new points). Returns (Σ p ln(p/w), Σ p) when `evaluateKL` is set.
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
                  var fx = 0.0
                  var fy = 0.0
                  for e in s[i]..<s[i + 1] {
                    let j = Int(c[e])
                    let dx = xi - refs[2 * j]
                    let dy = yi - refs[2 * j + 1]
                    let q = 1 / (1 + (dx * dx + dy * dy) / dof)
                    let pq = v[e] * q
                    fx += pq * dx
                    fy += pq * dy
                  }
                  out[2 * i] = scale * fx
                  out[2 * i + 1] = scale * fy
                  if evaluateKL {
                    for e in s[i]..<s[i + 1] where v[e] > 0 {
                      let j = Int(c[e])
                      let dx = xi - refs[2 * j]
                      let dy = yi - refs[2 * j + 1]
                      // ln w = −α ln(1 + d²/α)
                      let logW = -dof * log1p((dx * dx + dy * dy) / dof)
                      klChunk += v[e] * (log(v[e]) - logW)
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
}
