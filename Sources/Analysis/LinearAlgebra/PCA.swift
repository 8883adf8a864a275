import CBLAS
import Engine

/// Principal component analysis: the top-K eigenvectors of the feature covariance.
///
/// The covariance (D×D, N−1 in the denominator) is accumulated in Double by `cblas_dsyrk`
/// over row blocks, so memory stays O(D²) for any N. Its leading eigenvectors come from
/// block subspace iteration with Rayleigh–Ritz (block of 2K, at least K+10, vectors; run
/// until every residual ‖Cv − λv‖ is below 1e-10·λ₁), or from Jacobi on the whole
/// covariance when D is no larger than that block. Signs follow scikit-learn's
/// `svd_flip`: the entry of largest magnitude of each component is positive.
public struct PCA: Sendable {
  /// Column means of the data the PCA was fitted on.
  public let mean: [Double]
  /// Components as rows, K×D, unit length, by decreasing variance.
  public let components: [Double]
  /// Variance along each component.
  public let explainedVariance: [Double]
  /// Total variance (trace of the covariance).
  public let totalVariance: Double
  /// Feature dimension D.
  public let dimension: Int

  /// Number of components K.
  public var count: Int { explainedVariance.count }

  /// Fits K components to `data` (K ≤ min(N, D)); `seed` starts the subspace iteration.
  public init(fitting data: FeatureMatrix, components k: Int, seed: UInt64, threads: ThreadCount) {
    let n = data.rows
    let d = data.columns
    precondition(k >= 1 && k <= min(n, d), "PCA: need 1 <= K <= min(N, D)")
    dimension = d
    mean = ExactNeighbors.columnMeans(data)
    let means = mean
    let covariance = withSingleThreadedBLAS { PCA.covariance(data, mean: means, threads: threads) }
    totalVariance = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
    let block = min(d, max(2 * k, k + 10))
    var values: [Double]
    var vectors: [Double]
    if block >= d {
      let eigen = SymmetricEigen(symmetric: covariance, n: d)
      values = Array(eigen.values.prefix(k))
      vectors = Array(eigen.vectors.prefix(k * d))
    } else {
      (values, vectors) = withSingleThreadedBLAS {
        PCA.subspaceIteration(covariance, d: d, k: k, block: block, seed: seed)
      }
    }
    for c in 0..<k {
      var largest = 0
      for j in 0..<d where abs(vectors[c * d + j]) > abs(vectors[c * d + largest]) { largest = j }
      if vectors[c * d + largest] < 0 {
        for j in 0..<d { vectors[c * d + j] = -vectors[c * d + j] }
      }
    }
    explainedVariance = values.map { max($0, 0) }
    components = vectors
  }

  /// Projects rows onto the components: (x − mean)·Vᵀ, computed in Double.
  public func transform(_ data: FeatureMatrix, threads: ThreadCount = .available) -> FeatureMatrix {
    precondition(
      data.columns == dimension, "PCA.transform: dimension \(data.columns), fitted on \(dimension)")
    let n = data.rows
    let k = count
    var out = [Float](repeating: 0, count: n * k)
    let blockRows = 2048
    withSingleThreadedBLAS {
      project(data, into: &out, blockRows: blockRows, threads: threads)
    }
    return FeatureMatrix(rows: n, columns: k, values: out)
  }

  private func project(
    _ data: FeatureMatrix, into out: inout [Float], blockRows: Int, threads: ThreadCount
  ) {
    let n = data.rows
    let d = dimension
    let k = count
    let components = self.components
    let mean = self.mean
    out.withUnsafeMutableBufferPointer { ob in
      let result = SendablePointer(ob.baseAddress!)
      parallelFor(chunks: (n + blockRows - 1) / blockRows, threads: threads) { block in
        let r0 = block * blockRows
        let rows = min(blockRows, n - r0)
        var centred = [Double](repeating: 0, count: rows * d)
        var product = [Double](repeating: 0, count: rows * k)
        data.values.withUnsafeBufferPointer { v in
          for i in 0..<rows {
            for j in 0..<d { centred[i * d + j] = Double(v[(r0 + i) * d + j]) - mean[j] }
          }
        }
        cblas_dgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(d),
          1, centred, Int32(d), components, Int32(d), 0, &product, Int32(k))
        for e in 0..<rows * k { result[r0 * k + e] = Float(product[e]) }
      }
    }
  }

  /// The covariance, accumulated by `cblas_dsyrk` over blocks of 2048 centred rows. Eight
  /// partial sums each take every eighth block and are added in order, so the result does
  /// not depend on the thread count.
  static func covariance(_ data: FeatureMatrix, mean: [Double], threads: ThreadCount) -> [Double] {
    let n = data.rows
    let d = data.columns
    let blockRows = 2048
    let blocks = (n + blockRows - 1) / blockRows
    let lanes = min(8, blocks)
    var partial = [[Double]](repeating: [], count: lanes)
    partial.withUnsafeMutableBufferPointer { pb in
      let out = SendablePointer(pb.baseAddress!)
      parallelFor(chunks: lanes, threads: threads) { lane in
        var c = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: blockRows * d)
        data.values.withUnsafeBufferPointer { v in
          for block in stride(from: lane, to: blocks, by: lanes) {
            let r0 = block * blockRows
            let rows = min(blockRows, n - r0)
            for i in 0..<rows {
              for j in 0..<d { centred[i * d + j] = Double(v[(r0 + i) * d + j]) - mean[j] }
            }
            cblas_dsyrk(
              CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows), 1, centred, Int32(d), 1,
              &c, Int32(d))
          }
        }
        out[lane] = c
      }
    }
    var c = partial[0]
    for lane in 1..<lanes {
      for e in 0..<d * d { c[e] += partial[lane][e] }
    }
    let scale = 1 / Double(max(n - 1, 1))
    for i in 0..<d {
      for j in i..<d {
        c[i * d + j] *= scale
        c[j * d + i] = c[i * d + j]
      }
    }
    return c
  }

  /// Leading k eigenpairs of the symmetric d×d matrix `c` by block subspace iteration.
  static func subspaceIteration(_ c: [Double], d: Int, k: Int, block b: Int, seed: UInt64) -> (
    [Double], [Double]
  ) {
    var rng = RandomGenerator(seed: seed)
    var basis = (0..<b * d).map { _ in rng.normal() }
    orthonormalizeRows(&basis, rows: b, d: d)
    var image = [Double](repeating: 0, count: b * d)
    var values = [Double](repeating: 0, count: b)
    var ritz = [Double](repeating: 0, count: b * d)
    for iteration in 1...1000 {
      // image = basis · C (rows are C·q because C is symmetric)
      cblas_dgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(b), Int32(d), Int32(d), 1, basis, Int32(d),
        c, Int32(d), 0, &image, Int32(d))
      if iteration % 5 == 0 || iteration == 1000 {
        // Rayleigh–Ritz on the current basis.
        var t = [Double](repeating: 0, count: b * b)
        cblas_dgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(b), Int32(b), Int32(d), 1, image, Int32(d),
          basis, Int32(d), 0, &t, Int32(b))
        for i in 0..<b {
          for j in (i + 1)..<max(i + 1, b) {
            let s = (t[i * b + j] + t[j * b + i]) / 2
            t[i * b + j] = s
            t[j * b + i] = s
          }
        }
        let eigen = SymmetricEigen(symmetric: t, n: b)
        values = eigen.values
        cblas_dgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(b), Int32(d), Int32(b), 1, eigen.vectors,
          Int32(b), basis, Int32(d), 0, &ritz, Int32(d))
        var rotatedImage = [Double](repeating: 0, count: b * d)
        cblas_dgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(b), Int32(d), Int32(b), 1, eigen.vectors,
          Int32(b), image, Int32(d), 0, &rotatedImage, Int32(d))
        var worst = 0.0
        for i in 0..<k {
          var r2 = 0.0
          for j in 0..<d {
            let e = rotatedImage[i * d + j] - values[i] * ritz[i * d + j]
            r2 += e * e
          }
          worst = max(worst, r2.squareRoot())
        }
        if worst <= 1e-10 * max(abs(values[0]), .leastNormalMagnitude) { break }
        basis = rotatedImage
      } else {
        basis = image
      }
      orthonormalizeRows(&basis, rows: b, d: d)
    }
    return (Array(values.prefix(k)), Array(ritz.prefix(k * d)))
  }

  /// Modified Gram–Schmidt, twice, on the rows of a rows×d matrix. A row that vanishes
  /// (rank deficiency) is replaced by a unit vector orthogonal to the earlier ones.
  static func orthonormalizeRows(_ m: inout [Double], rows: Int, d: Int) {
    m.withUnsafeMutableBufferPointer { a in
      for i in 0..<rows {
        var original = 0.0
        for t in 0..<d { original += a[i * d + t] * a[i * d + t] }
        original = original.squareRoot()
        for _ in 0..<2 {
          for j in 0..<i {
            var dot = 0.0
            for t in 0..<d { dot += a[i * d + t] * a[j * d + t] }
            for t in 0..<d { a[i * d + t] -= dot * a[j * d + t] }
          }
        }
        var norm = 0.0
        for t in 0..<d { norm += a[i * d + t] * a[i * d + t] }
        norm = norm.squareRoot()
        var unit = 0
        while (norm <= 1e-10 * original || norm == 0) && unit < d {
          // The row vanished (rank deficiency): restart it from a unit vector.
          for t in 0..<d { a[i * d + t] = t == unit ? 1 : 0 }
          for j in 0..<i {
            var dot = 0.0
            for t in 0..<d { dot += a[i * d + t] * a[j * d + t] }
            for t in 0..<d { a[i * d + t] -= dot * a[j * d + t] }
          }
          norm = 0
          for t in 0..<d { norm += a[i * d + t] * a[i * d + t] }
          norm = norm.squareRoot()
          original = norm < 0.5 ? .infinity : 0
          unit += 1
        }
        for t in 0..<d { a[i * d + t] /= norm }
      }
    }
  }
}
