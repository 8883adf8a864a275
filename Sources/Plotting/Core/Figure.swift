import Engine
import Foundation

/// A figure: panels in a grid on a page sized in inches, drawn to PNG, PDF or SVG by the
/// same code.
///
/// ```swift
/// var panel = Panel(x: Axis("step"), y: Axis("loss"))
/// panel.add(.line(Line(x: steps, y: loss, color: Palette.okabeIto[0], label: "SimCLR")))
/// var figure = Figure(width: FigureWidth.singleColumn, height: 2.2, panels: [panel])
/// let report = try figure.write(to: "loss.pdf")
/// ```
public struct Figure: Sendable {
  /// Page width in inches (3.5 for one column of a two-column paper, 7 for both).
  public var width: Double
  /// Page height in inches.
  public var height: Double
  /// Rows of the panel grid.
  public var rows: Int
  /// Columns of the panel grid.
  public var columns: Int
  /// Panels in row-major order; may be fewer than `rows * columns`.
  public var panels: [Panel]
  /// Panels in one column share x limits; only the bottom one shows x tick labels.
  public var sharedX = false
  /// Panels in one row share y limits; only the leftmost one shows y tick labels.
  public var sharedY = false
  /// Panels in one column get the same y limits but keep their own labels, so that rows
  /// comparing runs are drawn to the same scale.
  public var sameYScaleInColumns = false
  /// A legend for the whole figure, outside the panels.
  public var legend: FigureLegend?
  /// A title above all panels.
  public var title: String?
  /// Bold "(a)", "(b)", ... in the top-left corner of each panel (multi-panel figures).
  public var panelLabels = false
  /// Fonts, line widths and colours.
  public var theme = Theme.paper
  /// Pixels per inch of PNG output and of images embedded in PDF/SVG.
  public var dpi = 300.0
  /// Threads for rasterising dense scatters and encoding PNGs; the output is the same
  /// for any count.
  public var threads = ThreadCount.one
  /// Numeric settings and counts behind the figure (bandwidths, sampled pairs), for the
  /// JSON sidecar written next to it (spec §7.4).
  public var notes: [String: Double] = [:]

  public init(width: Double, height: Double, rows: Int = 1, columns: Int = 1, panels: [Panel] = []) {
    self.width = width
    self.height = height
    self.rows = rows
    self.columns = columns
    self.panels = panels
  }

  /// Draws the figure and returns the encoded file with what was skipped.
  public func render(_ format: OutputFormat) throws(PlotError) -> RenderedFigure {
    try FigureRenderer(figure: self).render(format)
  }

  /// Draws the figure into `path` atomically, in the format named by its extension
  /// unless `format` is given.
  @discardableResult
  public func write(to path: String, format: OutputFormat? = nil) throws -> RenderReport {
    guard let format = format ?? OutputFormat(path: path) else {
      throw FileError(path, "unknown figure format: use a .png, .pdf or .svg file name")
    }
    let rendered = try render(format)
    try AtomicFile.write(Data(rendered.bytes), to: path)
    return rendered.report
  }
}

/// Standard paper widths in inches.
public enum FigureWidth {
  /// One column of a two-column paper (ICML, CVPR: 3.25 in; IEEE: 3.5 in).
  public static let singleColumn = 3.5
  /// The full text width of a two-column paper.
  public static let doubleColumn = 7.0
}

/// What drawing had to leave out: values that cannot be drawn are skipped, counted and
/// reported rather than failing the figure.
public struct RenderReport: Sendable, Equatable {
  /// NaN or infinite values skipped, over all panels.
  public var skippedNonFinite = 0
  /// Zero or negative values skipped on log axes.
  public var skippedNonPositive = 0
  /// One line per panel that skipped something, for the user.
  public var warnings: [String] = []

  public init() {}
}

/// An encoded figure and where its panels landed on the page.
public struct RenderedFigure: Sendable {
  /// The format of `bytes`.
  public let format: OutputFormat
  /// The encoded file.
  public let bytes: [UInt8]
  /// What was skipped.
  public let report: RenderReport
  /// Size in pixels (PNG) or points (PDF, SVG).
  public let width: Int
  public let height: Int
  /// Output pixels (PNG) or points (PDF, SVG) per point of the page.
  public let unitsPerPoint: Double
  /// The plot area of each panel, in points.
  public let plotAreas: [Rect]
  let mappings: [PlotMapping]

  /// Where the data point (`x`, `y`) of panel `panel` lands in output units (PNG pixels
  /// from the top-left corner); nil when it cannot be drawn there.
  public func location(panel: Int, x: Double, y: Double) -> Point? {
    guard panel >= 0, panel < mappings.count, let point = mappings[panel].point(x, y) else { return nil }
    return Point(point.x * unitsPerPoint, point.y * unitsPerPoint)
  }
}
