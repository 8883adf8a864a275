import Engine
import Foundation
import RunFormat

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
    let notes = figure.notes.filter { $0.value.isFinite }
    let sidecar = FigureSidecar(
      widthIn: figure.width, heightIn: figure.height, dpi: figure.dpi, skippedNonFinite: report.skippedNonFinite,
      skippedNonPositiveOnLogAxis: report.skippedNonPositive, warnings: report.warnings, inputs: inputs,
      formats: formats.map(\.rawValue), notes: notes.isEmpty ? nil : notes)
    let sidecarPath = "\(stem).json"
    try JSONOutput.write(sidecar, to: sidecarPath)
    paths.append(sidecarPath)
    return Written(paths: paths, report: report)
  }
}
