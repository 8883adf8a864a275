import ArgumentParser
import Engine
import Foundation
import Plotting
import RunFormat

/// How the plot commands turn their positional inputs (run directories or files) into
/// named data.
enum PlotInputs {
  /// Whether `path` is an existing directory.
  static func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
  }

  /// The run a file belongs to, for its name: `<run>/metrics.jsonl` and
  /// `<run>/analysis/x.json` both name `<run>`; a loose file is named by its stem.
  static func name(ofFile path: String) -> String {
    let url = URL(fileURLWithPath: path)
    var folder = url.deletingLastPathComponent()
    if ["analysis", "features"].contains(folder.lastPathComponent) { folder = folder.deletingLastPathComponent() }
    let name = folder.lastPathComponent
    return name.isEmpty || name == "." || name == "/" ? url.deletingPathExtension().lastPathComponent : name
  }

  /// `--names` split by commas, checked against the number of inputs; nil keeps the
  /// inferred names.
  static func names(_ option: String?, count: Int, inferred: [String]) throws -> [String] {
    guard let option else { return inferred }
    let names = option.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard names.count == count else {
      throw ValidationError("--names has \(names.count) names for \(count) inputs")
    }
    return names
  }

  /// `--class-names` split by commas, or else the class names stored with the first of
  /// `inputs` that is a training run (its `config.json`).
  static func classNames(_ option: String?, inputs: [String] = []) throws -> [String]? {
    if let option {
      return option.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
    }
    for input in inputs where isDirectory(input) {
      if let names = try RunDirectory(input).classNames() { return names }
    }
    return nil
  }

  /// Where a figure goes by default: the run's `figures/` folder for a single run,
  /// `./figures` otherwise.
  static func defaultStem(runs: [String], name: String) -> String {
    if runs.count == 1, isDirectory(runs[0]), let run = try? RunDirectory(runs[0]) {
      return (run.figuresDirectory as NSString).appendingPathComponent(name)
    }
    return "figures/" + name
  }

  /// Reads the file `file` names in each run directory among `inputs` (or each input
  /// that is a file) with `read`, naming each after its run.
  static func readEach<T>(
    _ inputs: [String], file: (RunDirectory) -> String, read: (String) throws -> T
  ) throws -> [(name: String, path: String, value: T)] {
    try inputs.map { input in
      if isDirectory(input) {
        let run = try RunDirectory(input)
        return (run.name, file(run), try read(file(run)))
      }
      return (name(ofFile: input), input, try read(input))
    }
  }

  /// The inputs, with `--compare A B` appended (it must name exactly two).
  static func combine(_ inputs: [String], compare: [String]) throws -> [String] {
    guard compare.isEmpty || compare.count == 2 else {
      throw ValidationError("--compare takes exactly two runs, got \(compare.count)")
    }
    let all = inputs + compare
    guard !all.isEmpty else { throw ValidationError("give at least one run directory or file") }
    for path in all where !FileManager.default.fileExists(atPath: path) {
      throw FileError(path, "no such run directory or file")
    }
    return all
  }
}
