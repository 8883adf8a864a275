import Foundation

/// A fresh directory under the system temporary directory, removed when the value is
/// released. Tests write their own small files here.
public final class TemporaryDirectory {
  public let path: String

  public init(_ label: String = "clens-test") {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(label)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    path = url.path
  }

  /// The path of `name` inside this directory.
  public func file(_ name: String) -> String { path + "/" + name }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}
