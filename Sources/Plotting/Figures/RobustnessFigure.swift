import Foundation
import RunFormat

extension PerturbationNorm {
  /// The axis label of ε; l-infinity radii are shown in units of 1/255.
  var epsilonLabel: String { self == .linf ? "ε (ℓ∞, ×1/255)" : "ε (ℓ₂)" }
  var title: String { self == .linf ? "ℓ∞ PGD" : "ℓ₂ PGD" }
}

/// Robust accuracy against one attack as ε grows, for one model.
public struct RobustnessCurve: Sendable {
  /// The model's name in the legend.
  public var name: String
  /// The threat model the curve was measured against.
  public var norm: PerturbationNorm
  /// Attack radii, in input units (pixels in [0, 1]); l-infinity ones are drawn ×255.
  public var eps: [Double]
  /// Accuracy under attack at each ε, as a fraction (0...1) or in percent.
  public var robustAccuracy: [Double]
  /// Accuracy without attack, in the same unit.
  public var cleanAccuracy: Double

  public init(name: String, norm: PerturbationNorm, eps: [Double], robustAccuracy: [Double], cleanAccuracy: Double) {
    self.name = name
    self.norm = norm
    self.eps = eps
    self.robustAccuracy = robustAccuracy
    self.cleanAccuracy = cleanAccuracy
  }
}

/// Robustness curves (spec §4.5): accuracy (%) against ε, one panel per norm, all models
/// on the same axes with one colour and marker each; each model's clean accuracy is a
/// dotted line in its colour and a hollow marker at ε = 0.
public enum RobustnessFigure {
  /// One panel per norm present (l-infinity first), the models in the order they first appear.
  public static func make(_ curves: [RobustnessCurve], style: FigureStyle = FigureStyle()) throws(PlotError) -> Figure {
    guard !curves.isEmpty else { throw PlotError.empty("list of robustness curves") }
    for curve in curves {
      guard !curve.eps.isEmpty else {
        throw PlotError.empty("robustness curve '\(curve.name)' (\(curve.norm.rawValue))")
      }
      guard curve.eps.count == curve.robustAccuracy.count else {
        throw PlotError(
          "robustness curve '\(curve.name)': \(curve.eps.count) ε values but \(curve.robustAccuracy.count) accuracies")
      }
    }
    // Fractions become percent; a file already in percent has values above 1.
    let all = curves.flatMap { $0.robustAccuracy + [$0.cleanAccuracy] }.filter(\.isFinite)
    let percent = all.contains { $0 > 1 } ? 1.0 : 100.0
    var names = [String]()
    for curve in curves where !names.contains(curve.name) { names.append(curve.name) }
    let norms = PerturbationNorm.allCases.filter { norm in curves.contains { $0.norm == norm } }
    var panels = [Panel]()
    for norm in norms {
      // Ticks at the ε values attacked, as robustness tables and curves list them.
      let scale = norm == .linf ? 255.0 : 1.0
      let grid = Set(curves.filter { $0.norm == norm }.flatMap { $0.eps.map { $0 * scale } } + [0]).sorted()
      let ticks = grid.map { Tick($0, TickLocator.fixed($0, decimals(of: $0))) }
      var panel = Panel(
        title: norm.title, x: Axis(norm.epsilonLabel, lower: 0, ticks: ticks),
        y: Axis("accuracy (%)", lower: 0, upper: 100))
      for curve in curves where curve.norm == norm {
        let index = names.firstIndex(of: curve.name)!
        let color = Palette.color(index, of: style.theme.palette)
        let marker = MarkerShape.cycle(index)
        var clean = Rule.horizontal(curve.cleanAccuracy * percent, color: color)
        clean.dash = DashPattern.dotted
        clean.width = 0.9
        panel.add(.rule(clean))
        var line = Line(
          x: curve.eps.map { $0 * scale }, y: curve.robustAccuracy.map { $0 * percent }, color: color,
          label: curve.name,
          marker: marker)
        line.dash = DashPattern.cycle(index)
        panel.add(.line(line))
        if !curve.eps.contains(0) {
          var cleanPoint = Line(x: [0], y: [curve.cleanAccuracy * percent], color: color, marker: marker)
          cleanPoint.markerFilled = false
          panel.add(.line(cleanPoint))
        }
      }
      // One legend serves both panels: the models are the same.
      panel.legend = panels.isEmpty ? .best : .none
      panel.extraLegendEntries = [
        LegendEntry(
          "clean accuracy", .line(Color(hex: 0x555555), width: 0.9, dash: DashPattern.dotted, marker: nil, filled: true)
        )
      ]
      panels.append(panel)
    }
    let columns = panels.count
    let wide = style.isWide || columns == 1
    var figure = style.figure(
      height: wide ? min(style.width / Double(columns) * 0.75, 3.2) + 0.1 : style.width * 0.62 * Double(columns),
      rows: wide ? 1 : columns, columns: wide ? columns : 1, panels: panels)
    figure.sharedY = wide
    return figure
  }

  /// Decimals that show `value` (an ε in /255 units or an l2 radius) without noise:
  /// 8 → "8", 0.5 → "0.5", 0.25 → "0.25".
  private static func decimals(of value: Double) -> Int {
    for places in 0...3 {
      let scaled = value * pow(10, Double(places))
      if abs(scaled - scaled.rounded()) < 1e-6 * max(1, abs(scaled)) { return places }
    }
    return 3
  }
}
