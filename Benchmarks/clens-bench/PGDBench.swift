import Analysis
import Engine
import Foundation
import RunFormat

/// `clens-bench pgd [--models resnet18,resnet20] [--attacks pgd,pgdl2] [--n 100]
/// [--steps 10] [--repeats 3] [--threads 2]`: seconds per PGD attack call on a batch of
/// `n` CIFAR-shaped images, as Benchmarks/peers/bench_pgd.py measures torchattacks: the same
/// models (random init, eval mode), PGD l-inf ε 8/255 α 2/255 and PGDL2 ε 0.5 α 0.1 with a
/// random start, one untimed 1-step warm-up, then `repeats` timed attacks. Prints
/// `pgd_<model>_<attack>_n<n>_s<steps>_seconds_min: <s> s` lines like the peer. With
/// `--data DIR` the images, labels and weights are the peer's own (`bench_pgd.py --data
/// DIR` writes pgd-n<n>-images.npy, pgd-n<n>-labels.npy and pgd-<model>.safetensors there).
enum PGDBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    let models = options["models", default: "resnet18,resnet20"].split(separator: ",").map(String.init)
    let attacks = options["attacks", default: "pgd,pgdl2"].split(separator: ",").map(String.init)
    let n = options["n", default: 100]
    let steps = options["steps", default: 10]
    let repeats = options["repeats", default: 3]
    let threads = ThreadCount(options["threads", default: 2])

    var rng = RandomGenerator(seed: 0)
    let data = options["data"]
    var images = (0..<n * 3072).map { _ in rng.uniformFloat() }
    var labels = (0..<n).map { _ in rng.int(below: 10) }
    if let data {
      let x = try NPYArray.read(data + "/pgd-n\(n)-images.npy")
      let y = try NPYArray.read(data + "/pgd-n\(n)-labels.npy")
      guard x.shape == [n, 3, 32, 32], let values = y.integers(), values.count == n else {
        throw FileError(data, "pgd-n\(n)-images.npy / -labels.npy do not hold \(n) CIFAR-shaped images and labels")
      }
      images = x.floats()
      labels = values
    }
    let shape = ImageShape(channels: 3, height: 32, width: 32)
    for name in models {
      let model: any Layer
      switch name {
      case "resnet18":
        model = ResNet(
          ResNetConfiguration(stem: .cifar, width: 64, inChannels: 3, classes: 10), rng: &rng)
      case "resnet20":
        model = ResNet20(rng: &rng)
      default:
        print("unknown model \(name) (resnet18, resnet20)")
        return
      }
      if let data { try model.loadWeights(from: data + "/pgd-\(name).safetensors") }
      let classifier = LayerClassifier(model, image: shape, classCount: 10)
      let parameters = model.parameters().reduce(0) { $0 + $1.value.count }
      print("# \(name): \(parameters) parameters")
      for attackName in attacks {
        func make(_ steps: Int) -> PGD {
          attackName == "pgd"
            ? PGD(norm: .linf, epsilon: 8 / 255, stepSize: 2 / 255, steps: steps)
            : PGD(norm: .l2, epsilon: 0.5, stepSize: 0.1, steps: steps)
        }
        let randomness = (0..<n).map { RandomGenerator(seed: 1).stream(UInt64($0)) }
        var seconds = [Double]()
        var last: AttackRun?
        withThreads(threads) {
          _ = make(1).run(on: classifier, images: images, labels: labels, randomness: randomness)
          for _ in 0..<repeats {
            let start = Date()
            last = make(steps).run(
              on: classifier, images: images, labels: labels, randomness: randomness)
            seconds.append(Date().timeIntervalSince(start))
          }
        }
        let label = "pgd_\(name)_\(attackName)_n\(n)_s\(steps)_seconds"
        print("\(label)_min: \(String(format: "%.4f", seconds.min() ?? 0)) s")
        print("\(label)_median: \(String(format: "%.4f", seconds.sorted()[seconds.count / 2])) s")
        if let last {
          let norm: PerturbationNorm = attackName == "pgd" ? .linf : .l2
          let largest =
            norm.perturbationSizes(adversarial: last.adversarial, original: images, inputSize: 3072)
            .max() ?? 0
          print(
            "# \(label): max |delta|_\(norm == .linf ? "inf" : "2")=\(String(format: "%.4f", largest))"
          )
        }
      }
    }
  }
}
