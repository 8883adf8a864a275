import Datasets
import Engine
import Foundation
import RunFormat
import Training

/// `clens-bench finetune [--configs w16,w64] [--method ce|core] [--threads 2] [--warmup 2]
/// [--steps 10]`: fine-tuning steps as `clens finetune` runs them (CE-tuning, or Core-tuning
/// with the released code's hard pairs, soft-label CE over 3B rows and focal SupCon, η 0.1;
/// SGD Nesterov lr 0.01) on pre-built random N(0, 1) images with random labels of 10
/// classes, as `Benchmarks/peers/bench_simclr.py finetune-step` measures PyTorch:
/// w16 = ResNet-18 width 16, 1x28x28; w64 = width 64, 3x32x32; batch 64.
enum FineTuneBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    let configs = options["configs", default: "w16,w64"].split(separator: ",").map(String.init)
    let methodName = options["method", default: "core"]
    let threads = options["threads", default: 2]
    let warmup = options["warmup", default: 2]
    let steps = options["steps", default: 10]
    print("# OpenBLAS kernels: \(BLASKernels.current)")
    for config in configs {
      let (width, channels, side) = config == "w64" ? (64, 3, 32) : (16, 1, 28)
      let batch = 64
      let dimension = 8 * width
      let architecture = ModelArchitecture(
        encoder: ResNetConfiguration(depth: .resnet18, stem: .cifar, width: width, inChannels: channels, classes: nil),
        headWidths: methodName == "core" ? [dimension, 256] : [], classifier: .init(classes: 10, bias: false))
      var rng = RandomGenerator(seed: 0)
      let model = Network(architecture, rng: &rng)
      let optimizer = SGD(model.parameters(), learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4)
      let method: any TrainingMethod =
        methodName == "core"
        ? CoreTuning(mixing: HardPairMixing(), contrastive: FocalSupConLoss(), eta: 0.1, classes: 10)
        : CrossEntropyTuning()
      let pool = (0..<2).map { _ in
        Batch(
          pixels: Tensor(randomNormal: [batch, channels, side, side], using: &rng).scalars,
          labels: (0..<batch).map { _ in rng.int(below: 10) }, indices: Array(0..<batch), views: 1, channels: channels,
          height: side, width: side)
      }
      func step(_ i: Int) throws {
        var draws = RandomGenerator(seed: UInt64(i))
        let output = method.step(model: model, batch: pool[i % pool.count], rng: &draws)
        guard output.loss.scalar.isFinite else { throw NumericError("loss at step \(i)") }
        output.loss.backward()
        optimizer.step()
        optimizer.clearGradients()
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
      let name = "\(methodName)_\(config)_b\(batch)"
      let best = times.min() ?? .nan
      let median = times.sorted()[times.count / 2]
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      print("\(name)_step_best: \(String(format: "%.4f", best)) s")
      print("\(name)_step_median: \(String(format: "%.4f", median)) s")
      print("\(name)_images_per_s_best: \(String(format: "%.2f", Double(batch) / best)) img/s")
      print("\(name)_images_per_s_median: \(String(format: "%.2f", Double(batch) / median)) img/s")
      print("\(name)_peak_rss: \(String(format: "%.1f", Double(usage.ru_maxrss) / 1024)) MiB")
    }
  }
}
