import Engine

/// Starting positions for t-SNE.
enum TSNEInitializer {
  /// N×2 starting coordinates; empty when PCA finds no variance along its first
  /// component (the caller falls back to random).
  static func initialize(
    _ data: FeatureMatrix, kind: TSNEInitialization, seed: UInt64, threads: ThreadCount
  ) -> [Double] {
    let n = data.rows
    let root = RandomGenerator(seed: seed)
    switch kind {
    case .random:
      var rng = root.stream(1)
      return (0..<2 * n).map { _ in rng.normal(mean: 0, std: 1e-4) }
    case .pca:
      var seeds = root.stream(2)
      let pca = PCA(fitting: data, components: 2, seed: seeds.next(), threads: threads)
      var y = pca.transform(data, threads: threads).values.map(Double.init)
      let std = columnStd(y, column: 0)
      guard std > 1e-12 else { return [] }
      let scale = 1e-4 / std
      for e in y.indices { y[e] *= scale }
      // openTSNE's jitter: N(0, (0.01 · std of the first column)²) on every coordinate.
      let jitter = 0.01 * columnStd(y, column: 0)
      var rng = root.stream(3)
      for e in y.indices { y[e] += rng.normal(mean: 0, std: jitter) }
      return y
    }
  }

  /// Population standard deviation of one column of an N×2 array.
  static func columnStd(_ y: [Double], column: Int) -> Double {
    let n = y.count / 2
    var mean = 0.0
    for i in 0..<n { mean += y[2 * i + column] }
    mean /= Double(n)
    var variance = 0.0
    for i in 0..<n { variance += (y[2 * i + column] - mean) * (y[2 * i + column] - mean) }
    return (variance / Double(n)).squareRoot()
  }
}
