import Engine
import Foundation

/// `clens-bench weights-load --pth FILE --safetensors FILE [--rounds 5]`: reading the same
/// weights from a PyTorch checkpoint (the restricted unpickler) and from safetensors, as
/// `--weights` does (`WeightsFile.tensors`); the best of `rounds` reads of each. With
/// `--fuzz N`, also N mutated copies of the checkpoint decoded (each must read or fail
/// cleanly; a crash ends the benchmark).
enum WeightsLoadBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    guard let pth = options["pth"], let safetensors = options["safetensors"] else {
      print("usage: clens-bench weights-load --pth FILE --safetensors FILE [--rounds 5] [--fuzz N]")
      return
    }
    let rounds = options["rounds", default: 5]
    func best(_ path: String) throws -> (seconds: Double, tensors: Int) {
      var times = [Double]()
      var count = 0
      for _ in 0..<rounds {
        let start = Date()
        count = try WeightsFile.tensors(path).count
        times.append(Date().timeIntervalSince(start))
      }
      return (times.min() ?? .nan, count)
    }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: pth)[.size] as? Int) ?? 0
    let fromCheckpoint = try best(pth)
    let fromSafetensors = try best(safetensors)
    print("checkpoint_bytes: \(bytes) B")
    print("pth_tensors: \(fromCheckpoint.tensors) tensors")
    print("pth_load_best: \(String(format: "%.4f", fromCheckpoint.seconds)) s")
    print("safetensors_load_best: \(String(format: "%.4f", fromSafetensors.seconds)) s")
    let cases = options["fuzz", default: 0]
    guard cases > 0 else { return }
    let original = Array(try Data(contentsOf: URL(fileURLWithPath: pth)))
    var rng = RandomGenerator(seed: 7)
    var read = 0
    let start = Date()
    for _ in 0..<cases {
      var mutated = original
      for _ in 0..<(1 + rng.int(below: 8)) { mutated[rng.int(below: mutated.count)] = UInt8(rng.int(below: 256)) }
      if (try? PyTorchCheckpoint.decode(mutated, path: pth).stateDict()) != nil { read += 1 }
    }
    print("fuzz_cases: \(cases) cases, \(read) read, \(cases - read) refused, \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
  }
}
