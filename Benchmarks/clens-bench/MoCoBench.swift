import Datasets
import Engine
import Foundation
import RunFormat
import Training

/// `clens-bench moco [--configs w16,w64] [--feature-transform 1] [--threads 2] [--warmup 2]
/// [--steps 10]`: MoCo v2 steps as `clens pretrain --method moco` runs them (queries with
/// the tape, keys by the momentum encoder with shuffle-BN in 2 groups, InfoNCE against a
/// 4096-key queue, τ 0.2, SGD momentum 0.9, the moving average and the enqueue; with
/// `--feature-transform 1` FT first) on pre-built random views, as
/// `Benchmarks/peers/bench_simclr.py moco-step` measures PyTorch. Images per second count
/// both views (2·B per step).
enum MoCoBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    let configs = options["configs", default: "w16,w64"].split(separator: ",").map(String.init)
    let transform = options["feature-transform", default: 0] == 1
    let threads = options["threads", default: 2]
    let warmup = options["warmup", default: 2]
    let steps = options["steps", default: 10]
    print("# OpenBLAS kernels: \(BLASKernels.current)")
    for config in configs {
      let (width, channels, side, batch) = config == "w64" ? (64, 3, 32, 64) : (16, 1, 28, 256)
      let architecture = ModelArchitecture(
        encoder: ResNetConfiguration(depth: .resnet18, stem: .cifar, width: width, inChannels: channels, classes: nil),
        headWidths: [8 * width, 128])
      var rng = RandomGenerator(seed: 0)
      let model = Network(architecture, rng: &rng)
      let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4)
      let method = MoCoMethod(
        architecture: architecture, queueSize: 4096, momentum: 0.99, temperature: 0.2,
        transformation: transform ? FeatureTransformation() : nil, rng: &rng)
      let pool = (0..<2).map { _ in
        Batch(
          pixels: Tensor(randomNormal: [2 * batch, channels, side, side], using: &rng).scalars,
          labels: Array(repeating: 0, count: batch), indices: Array(0..<batch), views: 2, channels: channels,
          height: side, width: side)
      }
      func step(_ i: Int) throws {
        var draws = RandomGenerator(seed: UInt64(i))
        let output = method.step(model: model, batch: pool[i % pool.count], rng: &draws)
        guard output.loss.scalar.isFinite else { throw NumericError("loss at step \(i)") }
        output.loss.backward()
        optimizer.step()
        optimizer.clearGradients()
        method.didUpdate(model: model)
      }
      var times = [Double]()
      try withThreads(ThreadCount(threads)) {
        for i in 0..<warmup { try step(i) }
        for i in 0..<steps {
          let start = Date()
          try step(warmup + i)
          times.append(Date().timeIntervalSince(start))
        }
      }
      let name = "moco\(transform ? "-ft" : "")_\(config)_b\(batch)"
      let best = times.min() ?? .nan
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      print("\(name)_step_best: \(String(format: "%.4f", best)) s")
      print("\(name)_images_per_s_best: \(String(format: "%.2f", Double(2 * batch) / best)) img/s")
      print("\(name)_images_per_s_median: \(String(format: "%.2f", Double(2 * batch) / times.sorted()[times.count / 2])) img/s")
      print("\(name)_peak_rss: \(String(format: "%.1f", Double(usage.ru_maxrss) / 1024)) MiB")
    }
  }
}
