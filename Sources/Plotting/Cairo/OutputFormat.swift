/// The file formats a figure can be written in, all drawn by the same code.
public enum OutputFormat: String, Sendable, CaseIterable, Codable {
  /// Raster image at the figure's dpi (for READMEs and slides).
  case png
  /// Vector PDF with real, embedded TrueType text; dense scatters are embedded rasters.
  case pdf
  /// Vector SVG (Cairo writes text as glyph outlines, so it is not searchable).
  case svg

  /// The file name extension, without the dot.
  public var fileExtension: String { rawValue }

  /// The format a file name asks for by its extension, if any.
  public init?(path: String) {
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
    self.init(rawValue: path[path.index(after: dot)...].lowercased())
  }
}
