import Analysis
import Engine
import Foundation

/// The committed reference data of scripts/fixtures/tsne.py.
enum Fixture {
  static func path(_ name: String) -> String {
    Bundle.module.bundleURL.appendingPathComponent("Fixtures").appendingPathComponent(name).path
  }

  static func array(_ name: String) throws -> NPYArray { try NPYArray.read(path(name)) }

  static func matrix(_ name: String) throws -> FeatureMatrix { try FeatureMatrix.read(path(name)) }

  static func doubles(_ name: String) throws -> [Double] { try array(name).doubles() }

  /// reference.json as a dictionary.
  static func reference() throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path("reference.json")))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
  }

  static func value(_ key: String) throws -> Double {
    guard let v = try reference()[key] as? Double else {
      throw FileError(path("reference.json"), "no number \(key)")
    }
    return v
  }

  static var digits: FeatureMatrix { get throws { try matrix("digits200.npy") } }
  static var digitLabels: [Int] {
    get throws { try array("digits200.labels.npy").integers() ?? [] }
  }

  /// Points from N(0, σ²) in `d` dimensions, seeded.
  static func gaussian(_ n: Int, _ d: Int, seed: UInt64, std: Double = 1) -> FeatureMatrix {
    var rng = RandomGenerator(seed: seed)
    return FeatureMatrix(
      rows: n, columns: d, values: (0..<n * d).map { _ in Float(rng.normal(mean: 0, std: std)) })
  }
}
