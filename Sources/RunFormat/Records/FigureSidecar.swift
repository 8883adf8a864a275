/// What every drawn figure records beside it (`figures/<name>.json`): its size, what
/// drawing skipped, the files it was drawn from and the numbers a caption should state.
public struct FigureSidecar: Sendable, Equatable, Codable {
  public var widthIn: Double
  public var heightIn: Double
  public var dpi: Double
  /// NaN or infinite values left out of the drawing.
  public var skippedNonFinite: Int
  /// Values ≤ 0 left off a log axis.
  public var skippedNonPositiveOnLogAxis: Int
  public var warnings: [String]
  /// The files the figure was drawn from.
  public var inputs: [String]
  /// The formats written ("png", "pdf", "svg").
  public var formats: [String]
  /// Numbers for the caption (e.g. `kl_divergence`), when the figure has any.
  public var notes: [String: Double]?

  public init(
    widthIn: Double, heightIn: Double, dpi: Double, skippedNonFinite: Int, skippedNonPositiveOnLogAxis: Int,
    warnings: [String], inputs: [String], formats: [String], notes: [String: Double]?
  ) {
    self.widthIn = widthIn
    self.heightIn = heightIn
    self.dpi = dpi
    self.skippedNonFinite = skippedNonFinite
    self.skippedNonPositiveOnLogAxis = skippedNonPositiveOnLogAxis
    self.warnings = warnings
    self.inputs = inputs
    self.formats = formats
    self.notes = notes
  }

  enum CodingKeys: String, CodingKey {
    case dpi, warnings, inputs, formats, notes
    case widthIn = "width_in"
    case heightIn = "height_in"
    case skippedNonFinite = "skipped_non_finite"
    case skippedNonPositiveOnLogAxis = "skipped_non_positive_on_log_axis"
  }
}
