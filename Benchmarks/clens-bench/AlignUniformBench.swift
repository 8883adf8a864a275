import Analysis
import Dispatch
import Engine
import Foundation

/// `clens-bench align-uniform [N,N,...] [dim] [threads]`: uniformity and alignment of
/// random unit vectors (x⁺ = normalise(x + 0.1·noise), as the peer draws them), with
/// seconds and peak memory, as `name: value unit` lines.
enum AlignUniformBench {
  static func run(_ args: [String]) throws {
    let sizes = (args.first ?? "10000,50000").split(separator: ",").compactMap { Int($0) }
    let dim = args.count > 1 ? Int(args[1]) ?? 128 : 128
    let threads = ThreadCount(args.count > 2 ? Int(args[2]) ?? 2 : 2)
    for n in sizes {
      var rng = RandomGenerator(seed: 0)
      let x = try FeatureMatrix(rows: n, columns: dim, values: (0..<n * dim).map { _ in Float(rng.normal()) })
        .l2Normalized()
      let positives = try FeatureMatrix(
        rows: n, columns: dim, values: x.values.map { $0 + Float(0.1 * rng.normal()) }
      ).l2Normalized()
      var start = DispatchTime.now()
      let uniformity = Uniformity.value(x, t: 2, threads: threads)
      let uniformSeconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
      start = DispatchTime.now()
      let alignment = Alignment.value(x, positives, alpha: 2)
      let alignSeconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      print("au_n\(n)_uniform_value: \(uniformity)")
      print("au_n\(n)_align_value: \(alignment)")
      print("au_n\(n)_uniform_seconds: \(uniformSeconds) s")
      print("au_n\(n)_align_seconds: \(alignSeconds) s")
      print("au_n\(n)_peak_rss_so_far: \(Double(usage.ru_maxrss) / 1024) MiB")
    }
  }
}
