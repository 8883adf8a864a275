import Engine
import Foundation

/// `clens-bench conv [--config fmnist_resnet18w16|resnet18] [--batch 128] [--threads 2]
/// [--repeats 5]`: forward and backward (input and weight gradients) time of each distinct
/// convolution of the training benchmark's ResNet-18, best of `repeats`, with the share of
/// the network's convolution time it accounts for, and the GFLOP per CPU-second each
/// achieves next to this machine's SGEMM rate (a 1024^3 product through the same BLAS,
/// measured the same way): how close to the machine's limit each layer runs. Times are
/// CPU seconds of all threads (steadier than wall time on a shared machine). Run with
/// `CLENS_ISA=avx2 OPENBLAS_CORETYPE=Haswell` to measure the AVX2 code paths.
enum ConvBench {
  /// One distinct convolution: input channels, output channels, input size, kernel, stride,
  /// and how many times the network runs it.
  struct Layer {
    let inChannels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int, uses: Int
  }

  static func layers(width w: Int, inChannels: Int, size: Int) -> [Layer] {
    var result = [Layer(inChannels: inChannels, outChannels: w, size: size, kernel: 3, stride: 1, uses: 1)]
    var s = size
    var c = w
    for stage in 0..<4 {
      let out = w << stage
      if stage == 0 {
        result.append(Layer(inChannels: c, outChannels: out, size: s, kernel: 3, stride: 1, uses: 4))
      } else {
        result.append(Layer(inChannels: c, outChannels: out, size: s, kernel: 3, stride: 2, uses: 1))
        result.append(Layer(inChannels: c, outChannels: out, size: s, kernel: 1, stride: 2, uses: 1))
        s = (s - 1) / 2 + 1
        result.append(Layer(inChannels: out, outChannels: out, size: s, kernel: 3, stride: 1, uses: 3))
      }
      c = out
    }
    return result
  }

  static func processSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
  }

  /// GFLOP per CPU-second of a 1024 x 1024 x 1024 SGEMM, best of `repeats`.
  static func sgemmRate(threads: Int, repeats: Int, rng: inout RandomGenerator) -> Double {
    let a = Tensor(randomNormal: [1024, 1024], using: &rng)
    let b = Tensor(randomNormal: [1024, 1024], using: &rng)
    var best = Double.infinity
    withThreads(ThreadCount(threads)) {
      for _ in 0..<(repeats + 1) {
        let start = processSeconds()
        _ = a.matmul(b)
        best = min(best, processSeconds() - start)
      }
    }
    return 2 * 1024 * 1024 * 1024 / best / 1e9
  }

  static func run(_ arguments: [String]) {
    let options = BenchOptions(arguments)
    let config = options["config", default: "fmnist_resnet18w16"]
    let batch = options["batch", default: 128]
    let threads = options["threads", default: 2]
    let repeats = options["repeats", default: 5]
    let network: [Layer]
    switch config {
    case "resnet18": network = layers(width: 64, inChannels: 3, size: 32)
    case "fmnist_resnet18w16": network = layers(width: 16, inChannels: 1, size: 28)
    default:
      print("usage: clens-bench conv --config resnet18|fmnist_resnet18w16 [--batch 128] [--threads 2] [--repeats 5]")
      return
    }
    var rng = RandomGenerator(seed: 0)
    let sgemm = sgemmRate(threads: threads, repeats: repeats, rng: &rng)
    print("# kernels: engine \(SIMDKernelSet.current), OpenBLAS \(BLASKernels.current); SGEMM 1024^3: \(String(format: "%.1f", sgemm)) GFLOP per cpu-s")
    var rows = [(name: String, forward: Double, backward: Double, uses: Int, flops: Double)]()
    withThreads(ThreadCount(threads)) {
      for (index, layer) in network.enumerated() {
        // The stem's input needs no gradient, as in training.
        let image = Tensor(randomNormal: [batch, layer.inChannels, layer.size, layer.size], using: &rng)
        let x = index == 0 ? image : image.requiringGradient()
        let w = Tensor(randomNormal: [layer.outChannels, layer.inChannels, layer.kernel, layer.kernel], using: &rng)
          .requiringGradient()
        let padding = layer.kernel / 2
        var forward = Double.infinity
        var backward = Double.infinity
        for _ in 0..<(repeats + 1) {
          var start = processSeconds()
          let y = x.conv2d(w, stride: layer.stride, padding: padding)
          forward = min(forward, processSeconds() - start)
          start = processSeconds()
          _ = gradients(of: y.sum(), wrt: [w])
          backward = min(backward, processSeconds() - start)
        }
        let out = (layer.size - 1) / layer.stride + 1
        let flops = 2.0 * Double(batch * layer.outChannels * out * out * layer.inChannels * layer.kernel * layer.kernel)
        let name = "conv_\(layer.inChannels)to\(layer.outChannels)_k\(layer.kernel)s\(layer.stride)_\(layer.size)x\(layer.size)"
        rows.append((name, forward, backward, layer.uses, flops))
      }
    }
    let total = rows.reduce(0.0) { $0 + Double($1.uses) * ($1.forward + $1.backward) }
    var totalFlops = 0.0
    func rate(_ flops: Double, _ seconds: Double) -> String {
      let gflops = flops / seconds / 1e9
      return String(format: "%.1f GFLOP per cpu-s, %.0f %% of SGEMM", gflops, gflops / sgemm * 100)
    }
    for (index, row) in rows.enumerated() {
      // Backward: the weight gradient, and the input gradient except for the stem.
      let backwardFlops = row.flops * (index == 0 ? 1 : 2)
      totalFlops += Double(row.uses) * (row.flops + backwardFlops)
      let share = Double(row.uses) * (row.forward + row.backward) / total * 100
      print("\(config)_\(row.name)_forward: \(String(format: "%.2f", row.forward * 1000)) cpu-ms (\(rate(row.flops, row.forward)))")
      print("\(config)_\(row.name)_backward: \(String(format: "%.2f", row.backward * 1000)) cpu-ms "
        + "(\(rate(backwardFlops, row.backward)); x\(row.uses) in the network, \(String(format: "%.1f", share)) % of its convolution time)")
    }
    print("\(config)_conv_total_per_step: \(String(format: "%.1f", total * 1000)) cpu-ms (\(rate(totalFlops, total)))")
  }
}
