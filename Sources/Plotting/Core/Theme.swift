/// Sizes, fonts and colours of every figure: one paper-ready default, following the
/// conventions of `tueplots` and SciencePlots (spec §7): 8 pt labels, 7 pt ticks and
/// legends, 0.6 pt axes, 1.2 pt lines, no top/right spines, a faint grid, no legend frame.
///
/// Sizes are in points of the printed page, so a figure set at column width prints
/// with the font sizes below.
public struct Theme: Sendable, Equatable {
  /// A Fontconfig family name; DejaVu Sans ships with Debian (`fonts-dejavu-core`).
  public var fontFamily = "DejaVu Sans"
  /// Axis labels.
  public var labelSize = 8.0
  /// Tick labels.
  public var tickLabelSize = 7.0
  /// Legend entries and annotations.
  public var legendSize = 7.0
  /// Panel titles.
  public var titleSize = 8.0
  /// The bold "(a)", "(b)" labels of multi-panel figures.
  public var panelLabelSize = 9.0
  /// Axis lines (spines).
  public var axisLineWidth = 0.6
  /// Data lines.
  public var lineWidth = 1.2
  /// Major tick length, drawn outwards.
  public var tickLength = 3.0
  /// Grid lines, thinner than the axes.
  public var gridLineWidth = 0.4
  /// A faint grey.
  public var gridColor = Color(hex: 0xB0B0B0, alpha: 0.35)
  /// Labels and legends.
  public var textColor = Color(hex: 0x1A1A1A)
  /// Spines and ticks.
  public var axisColor = Color(hex: 0x333333)
  /// The page.
  public var background = Color(hex: 0xFFFFFF)
  /// Opacity of ±std bands under lines.
  public var bandAlpha = 0.2
  /// Categorical colours for classes and runs.
  public var palette = Palette.okabeIto
  /// Blank border around the whole figure.
  public var outerPadding = 3.0
  /// Gap between neighbouring panels, beyond their labels.
  public var panelSpacing = 8.0

  public init() {}

  /// The default paper theme.
  public static let paper = Theme()
}
