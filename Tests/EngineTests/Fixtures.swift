import Engine
import Foundation

/// The committed fixtures of scripts/fixtures/engine.py.
enum Fixtures {
  static func path(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name).path
  }

  /// A fixture safetensors file's tensors as Float32 tensors.
  static func tensors(_ name: String) throws -> [String: Tensor] {
    try SafeTensorsFile.read(path(name)).tensors.mapValues(\.tensor)
  }
}
