import Engine
import Foundation

/// The committed fixtures of scripts/fixtures/training.py.
enum Fixtures {
  static func path(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name).path
  }
}
