import Analysis
import Dispatch
import Engine
import Foundation

/// `clens-bench tsne fit X.npy [method] [threads] [out.npy]`: one t-SNE fit with timings.
enum TSNEBench {
  static func run(_ args: [String]) throws {
    if args.first == "knn" { return try knn(Array(args.dropFirst())) }
    if args.first == "scale" { return try scale(Array(args.dropFirst())) }
    if args.first == "gradient" { return gradient(Array(args.dropFirst())) }
    guard args.count >= 2, args[0] == "fit" else {
      print("usage: clens-bench tsne fit X.npy [auto|exact|bh|fft] [threads] [out.npy]")
      return
    }
    let data = try FeatureMatrix.read(args[1])
    var options = TSNEOptions()
    if args.count > 2, let m = TSNEMethod(rawValue: args[2]) { options.method = m }
    if args.count > 3, let t = Int(args[3]) { options.threads = ThreadCount(t) }
    let start = DispatchTime.now()
    let result = try TSNE.fit(data, options: options)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    print(
      "n: \(data.rows) method: \(result.method) neighbors: \(result.neighborMethod) k: \(result.neighbors)"
    )
    print("kl: \(result.klDivergence) seconds: \(seconds)")
    print(
      "timings: knn \(result.timings.neighbors) aff \(result.timings.affinities) init \(result.timings.initialization) opt \(result.timings.optimization)"
    )
    for r in result.klTrace { print("  it \(r.iteration) kl \(r.value)") }
    if args.count > 4 {
      try NPYArray(shape: [data.rows, 2], floats: result.embedding.map { Float($0) }).write(
        to: args[4])
    }
  }

  /// `knn X.npy|synthetic:N [k] [threads] [trees] [leaf factor] [sample] [rounds] [--no-exact]`:
  /// exact and approximate search times and the recall of the approximate graph.
  static func knn(_ args: [String]) throws {
    let data =
      args[0].hasPrefix("synthetic:")
      ? mixture(Int(args[0].dropFirst(10)) ?? 10000, dimension: 50, clusters: 10, seed: 0)
      : try FeatureMatrix.read(args[0])
    let k = args.count > 1 ? Int(args[1]) ?? 90 : 90
    let threads = ThreadCount(args.count > 2 ? Int(args[2]) ?? 2 : 2)
    var start = DispatchTime.now()
    func lap() -> Double {
      let now = DispatchTime.now()
      defer { start = now }
      return Double(now.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
    let skipExact = args.contains("--no-exact")
    let exact = skipExact ? nil : ExactNeighbors.search(data, k: k, threads: threads)
    if !skipExact { print("exact_knn_seconds: \(lap())") }
    var settings = ApproximateNeighbors.Settings()
    _ = lap()
    if args.count > 3, let v = Int(args[3]) { settings.trees = v }
    if args.count > 4, let v = Double(args[4]) { settings.leafFactor = v }
    if args.count > 5, let v = Int(args[5]) { settings.sample = v }
    if args.count > 6, let v = Int(args[6]) { settings.rounds = v }
    let approximate = ApproximateNeighbors.search(
      data, k: k, seed: 0, settings: settings, threads: threads)
    print("approximate_knn_seconds: \(lap())")
    guard let exact else { return }
    var hits = 0
    for i in 0..<data.rows {
      let truth = Set(exact.indices[i * k..<(i + 1) * k])
      for j in approximate.indices[i * k..<(i + 1) * k] where truth.contains(j) { hits += 1 }
    }
    print("approximate_knn_recall: \(Double(hits) / Double(data.rows * k))")
  }

  /// `scale N1,N2,... [threads] [neighbors]`: t-SNE of synthetic data (a mixture of 10
  /// Gaussians in 50-D, seeded) at each size, with stage times and peak memory.
  static func scale(_ args: [String]) throws {
    let sizes = (args.first ?? "10000,100000").split(separator: ",").compactMap { Int($0) }
    let threads = ThreadCount(args.count > 1 ? Int(args[1]) ?? 2 : 2)
    let neighbors = args.count > 2 ? NeighborMethod(rawValue: args[2]) ?? .auto : .auto
    for n in sizes {
      let data = mixture(n, dimension: 50, clusters: 10, seed: 0)
      var options = TSNEOptions()
      options.threads = threads
      options.neighbors = neighbors
      let start = DispatchTime.now()
      let result = try TSNE.fit(data, options: options)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      let t = result.timings
      let line = String(
        format:
          "scale n=%d method=%@ neighbors=%@ seconds=%.1f knn=%.1f affinities=%.1f optimization=%.1f per_iteration_ms=%.1f kl=%.4f peak_rss_gib=%.2f",
        n, result.method.rawValue, result.neighborMethod.rawValue, seconds, t.neighbors,
        t.affinities, t.optimization,
        1000 * t.optimization / Double(result.iterations), result.klDivergence,
        Double(usage.ru_maxrss) / 1_048_576)
      FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
  }

  /// n points from 10 Gaussian clusters in `dimension` dims, seeded: centres N(0, 5²),
  /// spread decaying over the dimensions (std 1.5/(1 + j/4) along axis j), so the data
  /// have a handful of strong directions like PCA-reduced image features.
  static func mixture(_ n: Int, dimension: Int, clusters: Int, seed: UInt64) -> FeatureMatrix {
    var rng = RandomGenerator(seed: seed)
    let centres = (0..<clusters * dimension).map { _ in rng.normal(mean: 0, std: 5) }
    let spread = (0..<dimension).map { 1.5 / (1 + Double($0) / 4) }
    var values = [Float](repeating: 0, count: n * dimension)
    for i in 0..<n {
      let c = rng.int(below: clusters)
      for j in 0..<dimension {
        values[i * dimension + j] = Float(centres[c * dimension + j] + spread[j] * rng.normal())
      }
    }
    return FeatureMatrix(rows: n, columns: dimension, values: values)
  }

  /// `gradient N extent method [threads] [repeats]`: seconds per gradient evaluation of N
  /// points spread uniformly over a disc of the given diameter (the repulsion dominates;
  /// P links each point to the next).
  static func gradient(_ args: [String]) {
    let n = Int(args.first ?? "") ?? 70000
    let extent = args.count > 1 ? Double(args[1]) ?? 200 : 200
    let method = args.count > 2 ? TSNEMethod(rawValue: args[2]) ?? .fft : .fft
    var options = TSNEOptions()
    options.threads = ThreadCount(args.count > 3 ? Int(args[3]) ?? 2 : 2)
    let repeats = args.count > 4 ? Int(args[4]) ?? 10 : 10
    var rng = RandomGenerator(seed: 0)
    var y = [Double]()
    for _ in 0..<n {
      let r = extent / 2 * rng.uniform().squareRoot()
      let a = 2 * Double.pi * rng.uniform()
      y += [r * cos(a), r * sin(a)]
    }
    let p = SparseAffinities(
      count: n, rowStart: Array(0...n), columns: (0..<n).map { Int32(($0 + 1) % n) },
      values: [Double](repeating: 1 / Double(n), count: n))
    var best = Double.infinity
    for _ in 0..<repeats {
      let start = DispatchTime.now()
      _ = TSNE.gradient(embedding: y, affinities: p, method: method, options: options)
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
    }
    print("gradient n=\(n) extent=\(extent) method=\(method.rawValue) best_seconds=\(best)")
  }
}
