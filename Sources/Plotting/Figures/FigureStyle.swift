import Engine

/// Page size and resolution for the ready-made figures; each figure kind picks a
/// height that suits its panels unless `height` is given.
public struct FigureStyle: Sendable {
  /// Width in inches (`FigureWidth.singleColumn` or `.doubleColumn`, or any).
  public var width: Double
  /// Height in inches; nil lets the figure kind choose.
  public var height: Double?
  /// Pixels per inch of PNG output and of rasterised layers in PDF/SVG.
  public var dpi: Double
  /// Fonts, line widths and colours.
  public var theme: Theme
  /// Threads for rasterising dense scatters and encoding PNGs (the output is the same
  /// for any count).
  public var threads: ThreadCount

  public init(
    width: Double = FigureWidth.singleColumn, height: Double? = nil, dpi: Double = 300, theme: Theme = .paper,
    threads: ThreadCount = .one
  ) {
    self.width = width
    self.height = height
    self.dpi = dpi
    self.theme = theme
    self.threads = threads
  }

  /// True when the page is wide enough to put panels side by side (double column).
  var isWide: Bool { width >= 5 }

  /// A figure of this style's width, with `height` unless the style fixes one.
  func figure(height defaultHeight: Double, rows: Int, columns: Int, panels: [Panel]) -> Figure {
    var figure = Figure(width: width, height: height ?? defaultHeight, rows: rows, columns: columns, panels: panels)
    figure.dpi = dpi
    figure.theme = theme
    figure.threads = threads
    figure.panelLabels = panels.count > 1
    return figure
  }
}
