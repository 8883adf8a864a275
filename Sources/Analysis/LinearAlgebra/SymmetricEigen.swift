/// Eigenvalues and eigenvectors of a small dense symmetric matrix by cyclic Jacobi
/// rotations (accurate to a few ulps; O(n³) per sweep, meant for n up to a few hundred).
struct SymmetricEigen {
  /// Eigenvalues, largest first.
  var values: [Double]
  /// Eigenvectors as rows, `vectors[i*n ..< (i+1)*n]` belongs to `values[i]`.
  var vectors: [Double]

  /// Decomposes the row-major n×n symmetric `matrix`.
  init(symmetric matrix: [Double], n: Int) {
    var a = matrix
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    var scale = 0.0
    for x in a { scale = max(scale, abs(x)) }
    for _ in 0..<100 {
      var off = 0.0
      for p in 0..<n {
        for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] }
      }
      if off <= (1e-30 * scale * scale) || scale == 0 { break }
      for p in 0..<n {
        for q in (p + 1)..<max(p + 1, n) {
          let apq = a[p * n + q]
          if apq == 0 { continue }
          let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
          let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for r in 0..<n {
            let arp = a[r * n + p]
            let arq = a[r * n + q]
            a[r * n + p] = c * arp - s * arq
            a[r * n + q] = s * arp + c * arq
          }
          for r in 0..<n {
            let apr = a[p * n + r]
            let aqr = a[q * n + r]
            a[p * n + r] = c * apr - s * aqr
            a[q * n + r] = s * apr + c * aqr
          }
          for r in 0..<n {
            let vrp = v[r * n + p]
            let vrq = v[r * n + q]
            v[r * n + p] = c * vrp - s * vrq
            v[r * n + q] = s * vrp + c * vrq
          }
        }
      }
    }
    let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
    values = order.map { a[$0 * n + $0] }
    vectors = [Double](repeating: 0, count: n * n)
    for (row, column) in order.enumerated() {
      for r in 0..<n { vectors[row * n + r] = v[r * n + column] }
    }
  }
}
