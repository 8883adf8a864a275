import ArgumentParser
import Engine
import Foundation

/// Where an analysis command reads its features: explicit files, or a run directory
/// whose `features/<tag>.npy` (with `.labels.npy`, `.positives.npy` beside it) follows
/// DESIGN.md's file formats.
struct FeatureInputOptions: ParsableArguments {
  @Option(help: "Features, float [N, D] .npy (instead of --run).")
  var features: String?

  @Option(help: "Class labels, integer [N] .npy (optional).")
  var labels: String?

  @Option(help: "A run directory; reads features/<tag>.npy and writes analysis/ there.")
  var run: String?

  @Option(help: "Which features/<tag>.npy of the run (default: the only one there).")
  var tag: String?

  func validate() throws {
    switch (features, run) {
    case (nil, nil): throw ValidationError("give --features FILE.npy or --run DIR")
    case (.some, .some): throw ValidationError("give either --features or --run, not both")
    default: break
    }
    if run == nil && tag != nil { throw ValidationError("--tag only applies with --run") }
    if run != nil && labels != nil {
      throw ValidationError("with --run the labels come from features/<tag>.labels.npy")
    }
  }

  /// The resolved input files.
  struct Resolved {
    var features: String
    /// Labels file, if one was given or the run has one.
    var labels: String?
    /// `features/<tag>.positives.npy` of a run, if present.
    var positives: String?
    /// The run directory and tag, when reading a run.
    var run: (directory: String, tag: String)?
  }

  func resolve() throws -> Resolved {
    if let features {
      return Resolved(features: features, labels: labels, positives: nil, run: nil)
    }
    guard let run else { throw ValidationError("give --features FILE.npy or --run DIR") }
    let directory = (run as NSString).appendingPathComponent("features")
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw FileError(directory, "no such directory (is \(run) a run directory?)")
    }
    let tag = try tag ?? onlyTag(in: directory)
    let base = (directory as NSString).appendingPathComponent(tag)
    func existing(_ path: String) -> String? {
      FileManager.default.fileExists(atPath: path) ? path : nil
    }
    return Resolved(
      features: base + ".npy", labels: existing(base + ".labels.npy"),
      positives: existing(base + ".positives.npy"),
      run: (run, tag))
  }

  private func onlyTag(in directory: String) throws -> String {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let tags = names.filter {
      $0.hasSuffix(".npy") && !$0.hasSuffix(".labels.npy") && !$0.hasSuffix(".positives.npy")
    }
    .map { String($0.dropLast(4)) }.sorted()
    guard tags.count == 1, let tag = tags.first else {
      let found = tags.isEmpty ? "none" : tags.joined(separator: ", ")
      throw FileError(directory, "choose a feature set with --tag (found: \(found))")
    }
    return tag
  }
}

/// Prints warnings on stderr, one line each.
func printWarning(_ message: String) {
  FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

/// One JSON object, keys sorted, as `--json` prints and analysis/*.json stores it.
func jsonText(_ object: [String: Any]) throws -> String {
  let data = try JSONSerialization.data(
    withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
  return String(decoding: data, as: UTF8.self)
}
