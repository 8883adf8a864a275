import Engine
import Foundation

/// Writes one figure in several formats with a JSON sidecar, as every plot command does.
public enum FigureFiles {
  /// What was written.
  public struct Written: Sendable {
    /// The figure files, then the sidecar.
    public var paths: [String]
    /// What drawing skipped (the same for every format).
    public var report: RenderReport
  }

  /// Writes `<stem>.<format>` for each format and `<stem>.json` with the figure's notes,
  /// what was skipped and `inputs` (the files it was drawn from).
  public static func write(
    _ figure: Figure, stem: String, formats: [OutputFormat], inputs: [String] = []
  ) throws -> Written {
    guard !formats.isEmpty else { throw PlotError("no output format given") }
    var paths = [String]()
    var report = RenderReport()
    for format in formats {
      let path = "\(stem).\(format.fileExtension)"
      report = try figure.write(to: path, format: format)
      paths.append(path)
    }
    var sidecar: [String: Any] = [
      "width_in": figure.width, "height_in": figure.height, "dpi": figure.dpi,
      "skipped_non_finite": report.skippedNonFinite, "skipped_non_positive_on_log_axis": report.skippedNonPositive,
      "warnings": report.warnings, "inputs": inputs, "formats": formats.map(\.rawValue),
    ]
    let notes = figure.notes.filter { $0.value.isFinite }
    if !notes.isEmpty { sidecar["notes"] = notes }
    let data = try JSONSerialization.data(
      withJSONObject: sidecar, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    let sidecarPath = "\(stem).json"
    try AtomicFile.write(data + Data("\n".utf8), to: sidecarPath)
    paths.append(sidecarPath)
    return Written(paths: paths, report: report)
  }
}
