import Engine
import Foundation

/// `clens-bench train [--config resnet18|fmnist_resnet18w16] [--batch 128] [--threads 2]
/// [--warmup 2] [--steps 10]`: training steps (forward, cross-entropy, backward, SGD
/// momentum 0.9, weight decay 5e-4) of the peer's models on pre-built random batches,
/// as `bench_train.py` measures them. Prints `name: value unit` lines like the peer.
/// With `--data DIR`, the initial weights and the batches are the peer's
/// (`bench_train.py --one CONFIG --data DIR` writes train-<config>.safetensors and
/// train-<config>-b<batch>-images.npy / -labels.npy there).
enum TrainBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    let config = options["config", default: "resnet18"]
    let batch = options["batch", default: 128]
    let threads = options["threads", default: 2]
    let warmup = options["warmup", default: 2]
    let steps = options["steps", default: 10]
    let configuration: ResNetConfiguration
    let inputShape: [Int]
    switch config {
    case "resnet18":
      configuration = ResNetConfiguration(depth: .resnet18, stem: .cifar, width: 64, inChannels: 3, classes: 10)
      inputShape = [3, 32, 32]
    case "fmnist_resnet18w16":
      configuration = ResNetConfiguration(depth: .resnet18, stem: .cifar, width: 16, inChannels: 1, classes: 10)
      inputShape = [1, 28, 28]
    default:
      print("usage: clens-bench train --config resnet18|fmnist_resnet18w16 [--batch 128] [--threads 2] [--warmup 2] [--steps 10]")
      return
    }
    var rng = RandomGenerator(seed: 0)
    let model = ResNet(configuration, rng: &rng)
    let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
    var batches = (0..<4).map { _ in
      (Tensor(randomNormal: [batch] + inputShape, using: &rng), (0..<batch).map { _ in rng.int(below: 10) })
    }
    if let data = options["data"] {
      try model.loadWeights(from: "\(data)/train-\(config).safetensors")
      let images = try NPYArray.read("\(data)/train-\(config)-b\(batch)-images.npy")
      let labels = try NPYArray.read("\(data)/train-\(config)-b\(batch)-labels.npy")
      guard images.shape == [4 * batch] + inputShape, let values = labels.integers(), values.count == 4 * batch else {
        throw FileError(data, "the shared batches are not 4 x \(batch) images of \(inputShape) with labels")
      }
      let pixels = images.floats()
      let size = inputShape.reduce(1, *)
      batches = (0..<4).map { i in
        (Tensor(shape: [batch] + inputShape, scalars: Array(pixels[i * batch * size..<(i + 1) * batch * size])),
         Array(values[i * batch..<(i + 1) * batch]))
      }
    }
    func step(_ i: Int) -> Float {
      let (x, y) = batches[i % batches.count]
      let loss = model(x).crossEntropy(labels: y)
      loss.backward()
      optimizer.step()
      optimizer.clearGradients()
      return loss.scalar
    }
    func cpuSeconds() -> Double {
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
    }
    var times = [Double]()
    var cpuTimes = [Double]()
    try withThreads(ThreadCount(threads)) {
      for i in 0..<warmup { _ = step(i) }
      for i in 0..<steps {
        let start = Date()
        let cpuStart = cpuSeconds()
        let loss = step(warmup + i)
        times.append(Date().timeIntervalSince(start))
        cpuTimes.append(cpuSeconds() - cpuStart)
        guard loss.isFinite else { throw NumericError("loss at step \(i)") }
      }
    }
    let name = "train_\(config)_b\(batch)"
    let median = times.sorted()[times.count / 2]
    let best = times.min() ?? .nan
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("# OpenBLAS kernels: \(BLASKernels.current)")
    print("\(name)_params: \(model.parameterCount) params")
    print("\(name)_step_median: \(String(format: "%.4f", median)) s")
    print("\(name)_images_per_s_median: \(String(format: "%.2f", Double(batch) / median)) img/s")
    print("\(name)_images_per_s_best: \(String(format: "%.2f", Double(batch) / best)) img/s")
    // CPU seconds per step: less sensitive than wall time to other work on a shared machine.
    print("\(name)_cpu_s_per_step_median: \(String(format: "%.4f", cpuTimes.sorted()[cpuTimes.count / 2])) s")
    print("\(name)_peak_rss: \(String(format: "%.1f", Double(usage.ru_maxrss) / 1024)) MiB")
  }
}
