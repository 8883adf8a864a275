import Datasets
import Engine
import Foundation
import MPIProcessGroup
import RunFormat
import Training

/// `clens-bench simclr [--configs w16,w64] [--method simclr|supcon] [--threads 2]
/// [--warmup 2] [--steps 10]`: SimCLR/SupCon training steps as `clens pretrain` runs
/// them (both views in one forward pass, SupConLoss, backward, SGD momentum 0.9, weight
/// decay 1e-4, lr 0.1, the step's score statistics included) on pre-built random
/// N(0, 1) views, as Benchmarks/peers/bench_simclr.py step measures PyTorch:
/// w16 = ResNet-18 width 16, 1x28x28, 2 views x 256; w64 = width 64, 3x32x32, 2 views x 64.
/// Images per second count views (2·B per step), as the peer does.
///
/// Under `mpirun -n P` (a build with the MPI trait) the step is data-parallel, as
/// `clens pretrain` runs it there: each rank takes B/P images of each view, the
/// embeddings are gathered, and the gradients summed in one all-reduce; rank 0 prints the
/// global batch's rate (Benchmarks/peers/bench_simclr.py ddp-step is the PyTorch peer).
enum SimCLRBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    let configs = options["configs", default: "w16,w64"].split(separator: ",").map(String.init)
    let method = options["method", default: "simclr"]
    let threads = options["threads", default: 2]
    let warmup = options["warmup", default: 2]
    let steps = options["steps", default: 10]
    let group = MPILaunch.world(timeout: 600) ?? SingleProcess()
    defer { group.finish() }
    if group.rank == 0 { print("# OpenBLAS kernels: \(BLASKernels.current); \(group.size) process(es)") }
    for config in configs {
      let (width, channels, side, batch) =
        switch config {
        case "w64": (64, 3, 32, 64)
        default: (16, 1, 28, 256)
        }
      let architecture = ModelArchitecture(
        encoder: ResNetConfiguration(depth: .resnet18, stem: .cifar, width: width, inChannels: channels, classes: nil),
        headWidths: [8 * width, 128])
      var rng = RandomGenerator(seed: 0)
      let model = Network(architecture, rng: &rng)
      let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4)
      let trainer = SupConMethod(
        usesLabels: method == "supcon", views: 2,
        loss: SupConLoss(temperature: method == "supcon" ? 0.1 : 0.5, baseTemperature: 0.07), group: group)
      let local = batch / group.size
      var data = RandomGenerator(seed: 1 + UInt64(group.rank))
      let pool = (0..<2).map { _ in
        Batch(
          pixels: Tensor(randomNormal: [2 * local, channels, side, side], using: &data).scalars,
          labels: (0..<local).map { _ in data.int(below: 10) }, indices: Array(0..<local), views: 2,
          channels: channels, height: side, width: side)
      }
      func step(_ i: Int) throws {
        var rng = RandomGenerator(seed: UInt64(i))
        let output = trainer.step(model: model, batch: pool[i % pool.count], rng: &rng)
        guard output.loss.scalar.isFinite else { throw NumericError("loss at step \(i)") }
        output.loss.backward()
        group.reduceGradients(of: model.parameters(), scale: output.reduction == .sum ? 1 : 1 / Float(group.size))
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
      guard group.rank == 0 else { continue }
      let name = "\(method)_\(config)_b\(batch)"
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      print("\(name)_params: \(model.parameterCount) params")
      print("\(name)_step_best: \(String(format: "%.4f", times.min() ?? .nan)) s")
      print("\(name)_step_median: \(String(format: "%.4f", times.sorted()[times.count / 2])) s")
      print("\(name)_images_per_s_best: \(String(format: "%.2f", Double(2 * batch) / (times.min() ?? .nan))) img/s")
      print("\(name)_images_per_s_median: \(String(format: "%.2f", Double(2 * batch) / times.sorted()[times.count / 2])) img/s")
      print("\(name)_peak_rss: \(String(format: "%.1f", Double(usage.ru_maxrss) / 1024)) MiB")
    }
  }
}
