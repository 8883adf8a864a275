import ArgumentParser
import Engine
import Foundation
import Plotting
import RunFormat

/// The width of a paper column a figure is made for.
enum PaperColumn: String, ExpressibleByArgument, CaseIterable {
  /// One column of a two-column paper, 3.5 in.
  case single
  /// The whole text width, 7 in.
  case double
}

/// Formats, size and resolution of figures, shared by every command that draws (the
/// plot commands, and analysis commands with `--plot`). `--json` and `--threads` are
/// left to each command, which has them for its own work too.
struct FigureOutputOptions: ParsableArguments {
  @Option(
    name: .customLong("format"),
    help:
      "Output format: png, pdf or svg; repeat or separate with commas. (default: png,pdf, or the extension of the figure's path)")
  var formats: [String] = []

  @Option(help: "Paper column the figure is sized for: single (3.5 in) or double (7 in).")
  var column: PaperColumn = .single

  @Option(name: .customLong("width-in"), help: "Figure width in inches (overrides --column).")
  var widthIn: Double?

  @Option(name: .customLong("height-in"), help: "Figure height in inches. (default: chosen per figure)")
  var heightIn: Double?

  @Option(help: "Pixels per inch of PNG output and of dense scatters embedded in PDF/SVG.")
  var dpi: Double = 300

  func validate() throws {
    for name in splitList(formats) where OutputFormat(rawValue: name.lowercased()) == nil {
      throw ValidationError("unknown format '\(name)': use png, pdf or svg")
    }
    if let widthIn, !(widthIn > 0.5 && widthIn <= 40) {
      throw ValidationError("--width-in must be in (0.5, 40], got \(widthIn)")
    }
    if let heightIn, !(heightIn > 0.5 && heightIn <= 40) {
      throw ValidationError("--height-in must be in (0.5, 40], got \(heightIn)")
    }
    if !(dpi >= 50 && dpi <= 1200) { throw ValidationError("--dpi must be in 50...1200, got \(dpi)") }
  }

  /// Whether any option differs from its default.
  var isCustomized: Bool {
    !formats.isEmpty || column != .single || widthIn != nil || heightIn != nil || dpi != 300
  }

  /// The page for these options; `threads` rasterise and encode.
  func style(threads: ThreadCount) -> FigureStyle {
    FigureStyle(
      width: widthIn ?? (column == .single ? FigureWidth.singleColumn : FigureWidth.doubleColumn), height: heightIn,
      dpi: dpi, threads: threads)
  }

  /// The path stem and formats for `out` (which may name a format by its extension), or
  /// for `defaultStem` when `out` is nil.
  func destination(out: String?, defaultStem: String) -> (stem: String, formats: [OutputFormat]) {
    var formats = splitList(self.formats).compactMap { OutputFormat(rawValue: $0.lowercased()) }
    var stem = out ?? defaultStem
    if let out, let format = OutputFormat(path: out) {
      stem = String(out.dropLast(format.fileExtension.count + 1))
      if formats.isEmpty { formats = [format] }
    }
    if formats.isEmpty { formats = [.png, .pdf] }
    var unique = [OutputFormat]()
    for format in formats where !unique.contains(format) { unique.append(format) }
    return (stem, unique)
  }

  /// Writes `figure` in every format with its sidecar, warns on stderr about skipped
  /// values, and returns what was written.
  func write(_ figure: Figure, out: String?, defaultStem: String, inputs: [String]) throws -> FigureFiles.Written {
    let (stem, formats) = destination(out: out, defaultStem: defaultStem)
    let written: FigureFiles.Written
    do {
      written = try FigureFiles.write(figure, stem: stem, formats: formats, inputs: inputs)
    } catch let error as PlotError {
      // Name the data the figure could not be drawn from, not only the panel.
      throw FileError(inputs.isEmpty ? stem : inputs.joined(separator: ", "), "cannot draw \(stem): \(error.message)")
    }
    for warning in written.report.warnings {
      FileHandle.standardError.write(Data("warning: \(stem): \(warning)\n".utf8))
    }
    return written
  }

  /// What `--json` prints for each figure written.
  struct WrittenFigure: Encodable {
    var files: [String]
    var skippedNonFinite: Int
    var skippedNonPositiveOnLogAxis: Int
    var warnings: [String]

    enum CodingKeys: String, CodingKey {
      case files, warnings
      case skippedNonFinite = "skipped_non_finite"
      case skippedNonPositiveOnLogAxis = "skipped_non_positive_on_log_axis"
    }
  }

  /// Prints what was written: one path per line, or with `json` one object keyed by
  /// figure name.
  func report(_ figures: [(name: String, written: FigureFiles.Written)], json: Bool) throws {
    if json {
      var object = [String: WrittenFigure]()
      for (name, written) in figures {
        object[name.replacingOccurrences(of: "-", with: "_")] = WrittenFigure(
          files: written.paths, skippedNonFinite: written.report.skippedNonFinite,
          skippedNonPositiveOnLogAxis: written.report.skippedNonPositive, warnings: written.report.warnings)
      }
      print(try JSONOutput.line(["figures": object]))
    } else {
      for (_, written) in figures { for path in written.paths { print(path) } }
    }
  }
}

/// Splits repeated, comma-separated option values into their items.
func splitList(_ values: [String]) -> [String] {
  values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
