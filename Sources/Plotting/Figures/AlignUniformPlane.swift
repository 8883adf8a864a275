/// One run's place in the alignment–uniformity plane.
public struct AlignUniformPoint: Sendable {
  /// The run's name, written beside its point.
  public var name: String
  /// ℓ_align (α = 2): mean squared distance between positive pairs; lower is better.
  public var alignment: Double
  /// ℓ_uniform (t = 2); lower (more negative) is more uniform.
  public var uniformity: Double

  public init(name: String, alignment: Double, uniformity: Double) {
    self.name = name
    self.alignment = alignment
    self.uniformity = uniformity
  }
}

/// The alignment–uniformity plane of Wang & Isola: one marked, named point per run; the
/// best encoders sit towards the lower left.
public enum AlignUniformPlaneFigure {
  /// Axes from the data with generous margins, so that names next to the points stay inside.
  public static func make(_ points: [AlignUniformPoint], style: FigureStyle = FigureStyle()) throws(PlotError) -> Figure
  {
    guard !points.isEmpty else { throw PlotError.empty("list of alignment/uniformity results") }
    var panel = Panel(
      x: Axis("alignment (lower is better)"), y: Axis("uniformity (lower is better)"))
    panel.x.margin = 0.15
    panel.y.margin = 0.15
    panel.legend = .none
    for (index, point) in points.enumerated() {
      var line = Line(
        x: [point.alignment], y: [point.uniformity], color: Palette.color(index, of: style.theme.palette),
        marker: MarkerShape.cycle(index))
      line.markerSize = 6
      panel.add(.line(line))
      panel.add(.text(TextLabel(x: point.alignment, y: point.uniformity, text: point.name)))
    }
    return style.figure(height: min(style.width * 0.72, 3), rows: 1, columns: 1, panels: [panel])
  }
}
