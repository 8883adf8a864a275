import Engine
import Foundation

/// The committed fixtures of scripts/fixtures/engine.py and engine_paths.py.
enum Fixtures {
  static func path(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name).path
  }

  /// A fixture safetensors file's tensors as Float32 tensors.
  static func tensors(_ name: String) throws -> [String: Tensor] {
    try SafeTensorsFile.read(path(name)).tensors.mapValues(\.tensor)
  }

  /// The entries of `reference` named `prefix` + a parameter or buffer name, as a state
  /// dict (`num_batches_tracked` back to int64, as PyTorch saves it).
  static func stateDict(_ reference: [String: Tensor], prefix: String = "weights.") -> [String: SafeTensor] {
    var weights = [String: SafeTensor]()
    for (key, value) in reference where key.hasPrefix(prefix) {
      let name = String(key.dropFirst(prefix.count))
      weights[name] = name.hasSuffix("num_batches_tracked") ? SafeTensor(shape: [], int64s: [Int64(value.scalar)]) : SafeTensor(value)
    }
    return weights
  }
}
