import Analysis
import Dispatch
import Engine
import Foundation

/// `clens-bench tsne fit X.npy [method] [threads] [out.npy]`: one t-SNE fit with timings.
enum TSNEBench {
  static func run(_ args: [String]) throws {
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
    print("n: \(data.rows) method: \(result.method) neighbors: \(result.neighborMethod) k: \(result.neighbors)")
    print("kl: \(result.klDivergence) seconds: \(seconds)")
    print("timings: knn \(result.timings.neighbors) aff \(result.timings.affinities) init \(result.timings.initialization) opt \(result.timings.optimization)")
    for r in result.klTrace { print("  it \(r.iteration) kl \(r.value)") }
    if args.count > 4 {
      try NPYArray(shape: [data.rows, 2], floats: result.embedding.map { Float($0) }).write(to: args[4])
    }
  }
}
