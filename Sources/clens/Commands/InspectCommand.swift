import ArgumentParser
import Engine
import Foundation
import RunFormat

/// `clens inspect FILE [--json]`: what a weights file holds, so a user sees which entry
/// (`--state-dict-key`) and prefix (`--strip-prefix`) to load.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "List what a weights file holds: a PyTorch checkpoint's entries and tensors, or a safetensors file's.",
    discussion: """
      A PyTorch checkpoint (.pth, .pth.tar, .pt, .pkl; the zip format of torch.save or its legacy format) is read \
      without executing it. The listing shows the top-level entries, the state dict --weights and --from load by \
      default, the most common name prefixes (for --strip-prefix), and every tensor with its stored type and shape.
      """
  )

  @Argument(help: "A PyTorch checkpoint or a safetensors file.")
  var file: String

  @OptionGroup var jsonOption: JSONOption

  /// What `--json` prints.
  struct Report: Codable {
    var path: String
    /// "pytorch-zip", "pytorch-legacy" or "safetensors".
    var format: String
    var topLevel: [PyTorchCheckpoint.Item]
    var defaultStateDictKey: String?
    var stateDictTensors: Int
    var prefixes: [Prefix]
    var items: [PyTorchCheckpoint.Item]

    enum CodingKeys: String, CodingKey {
      case path, format, prefixes, items
      case topLevel = "top_level"
      case defaultStateDictKey = "default_state_dict_key"
      case stateDictTensors = "state_dict_tensors"
    }
  }

  /// A name prefix and how many of the state dict's tensors carry it.
  struct Prefix: Codable {
    var prefix: String
    var tensors: Int
  }

  func run() throws {
    let report = try Self.report(file)
    if jsonOption.json {
      print(try JSONOutput.line(report))
      return
    }
    print("\(file): \(report.format == "safetensors" ? "safetensors" : "PyTorch checkpoint (\(report.format.dropFirst("pytorch-".count)) format)")")
    if report.topLevel.contains(where: { $0.kind != "tensor" }) {
      print("top level:")
      printTable(report.topLevel)
    }
    let chosen = report.defaultStateDictKey.map { "'\($0)'" } ?? "the top level"
    let prefixes = report.prefixes.map { "\($0.prefix) (\($0.tensors))" }.joined(separator: ", ")
    print("state dict loaded by default: \(chosen), \(report.stateDictTensors) tensors"
      + (prefixes.isEmpty ? "" : "; name prefixes: \(prefixes)"))
    print("values:")
    printTable(report.items)
  }

  private func printTable(_ items: [PyTorchCheckpoint.Item]) {
    let width = min(items.map(\.name.count).max() ?? 0, 60)
    for item in items {
      let name = item.name.padding(toLength: max(width, item.name.count), withPad: " ", startingAt: 0)
      let detail = item.shape.map { "\(item.dtype ?? "")  \($0)" } ?? item.kind
      print("  \(name)  \(detail)")
    }
  }

  static func report(_ path: String) throws -> Report {
    let items: [PyTorchCheckpoint.Item]
    let stateDict: [String: SafeTensor]
    var report = Report(path: path, format: "safetensors", topLevel: [], stateDictTensors: 0, prefixes: [], items: [])
    if WeightsFile.isPyTorch(path) {
      let checkpoint = try PyTorchCheckpoint.read(path)
      report.format = "pytorch-" + checkpoint.format
      report.topLevel = checkpoint.topLevel
      report.defaultStateDictKey = checkpoint.defaultStateDictKey
      items = try checkpoint.items()
      stateDict = (try? checkpoint.stateDict()) ?? [:]
    } else {
      let file = try SafeTensorsFile.read(path)
      stateDict = file.tensors
      items = file.tensors.keys.sorted().map { name in
        let tensor = file.tensors[name]!
        return PyTorchCheckpoint.Item(name: name, kind: "tensor", dtype: tensor.type.rawValue, shape: tensor.shape)
      }
    }
    report.items = items
    report.stateDictTensors = stateDict.count
    report.prefixes = prefixes(of: Array(stateDict.keys))
    return report
  }

  /// The one- and two-part dotted prefixes most names share (at least a quarter of them).
  static func prefixes(of names: [String]) -> [Prefix] {
    var counts = [String: Int]()
    for name in names {
      let parts = name.split(separator: ".", omittingEmptySubsequences: false)
      for length in 1...2 where parts.count > length {
        counts[parts.prefix(length).joined(separator: ".") + ".", default: 0] += 1
      }
    }
    return counts.filter { $0.value * 4 >= names.count && $0.value > 1 }
      .sorted { ($0.value, $0.key.count) > ($1.value, $1.key.count) }
      .prefix(4).map { Prefix(prefix: $0.key, tensors: $0.value) }
  }
}
