import Foundation
import RunFormat

extension PerturbationNorm {
  /// The axis label of ε; l-infinity radii are shown in units of 1/255.
  var epsilonLabel: String { self == .linf ? "ε (ℓ∞, ×1/255)" : "ε (ℓ₂)" }
  var symbol: String { self == .linf ? "ℓ∞" : "ℓ₂" }
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
  /// The 95 % interval [low, high] of each robust accuracy, drawn as a band when given.
  public var interval: [[Double]]?
  /// The attack, as a title names it ("PGD-10"); nil when unknown.
  public var attack: String?
  /// Examples attacked, stated in the panel's title (in the legend when the models of a
  /// panel differ) when known.
  public var images: Int?

  public init(
    name: String, norm: PerturbationNorm, eps: [Double], robustAccuracy: [Double], cleanAccuracy: Double,
    interval: [[Double]]? = nil, attack: String? = nil, images: Int? = nil
  ) {
    self.name = name
    self.norm = norm
    self.eps = eps
    self.robustAccuracy = robustAccuracy
    self.cleanAccuracy = cleanAccuracy
    self.interval = interval
    self.attack = attack
    self.images = images
  }
}

/// Robustness curves (spec §4.5): accuracy (%) against ε, one panel per norm, all models
/// on the same axes with one colour and marker each; each curve starts at the model's
/// clean accuracy at ε = 0 (a hollow marker, and a dotted line across for reference) and
/// carries its 95 % interval as a band when the curve has one.
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
      if let interval = curve.interval, interval.count != curve.eps.count || interval.contains(where: { $0.count != 2 }) {
        throw PlotError("robustness curve '\(curve.name)': its 95 % interval needs one [low, high] pair per ε")
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
      // The attack and the number of examples go in the title when the panel's curves
      // share them; differing counts go in the legend.
      let inPanel = curves.filter { $0.norm == norm }
      let attacks = Set(inPanel.map { $0.attack ?? "" })
      let counts = Set(inPanel.map { $0.images ?? 0 })
      var title = attacks.count == 1 && attacks.first != "" ? "\(norm.symbol) \(attacks.first!)" : norm.symbol
      if counts.count == 1, let n = inPanel[0].images { title += ", n = \(n)" }
      func label(_ curve: RobustnessCurve) -> String {
        guard counts.count > 1, let n = curve.images else { return curve.name }
        return "\(curve.name) (n = \(n))"
      }
      var panel = Panel(
        title: title, x: Axis(norm.epsilonLabel, lower: 0, ticks: ticks),
        y: Axis("accuracy (%)", lower: 0, upper: 100))
      for curve in curves where curve.norm == norm {
        let index = names.firstIndex(of: curve.name)!
        let color = Palette.color(index, of: style.theme.palette)
        let marker = MarkerShape.cycle(index)
        var clean = Rule.horizontal(curve.cleanAccuracy * percent, color: color)
        clean.dash = DashPattern.dotted
        clean.width = 0.9
        panel.add(.rule(clean))
        // The curve starts from the clean accuracy: ε = 0 is no attack.
        let start = curve.eps.contains(0) ? [] : [(0.0, curve.cleanAccuracy)]
        let points = start + zip(curve.eps, curve.robustAccuracy).map { ($0, $1) }
        if let interval = curve.interval {
          let bounds = (curve.eps.contains(0) ? [] : [[curve.cleanAccuracy, curve.cleanAccuracy]]) + interval
          panel.add(
            .band(
              Band(
                x: points.map { $0.0 * scale }, lower: bounds.map { $0[0] * percent }, upper: bounds.map { $0[1] * percent },
                color: color)))
        }
        var line = Line(
          x: points.map { $0.0 * scale }, y: points.map { $0.1 * percent }, color: color, label: label(curve),
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
      if curves.contains(where: { $0.norm == norm && $0.interval != nil }) {
        panel.extraLegendEntries.append(LegendEntry("95 % interval", .patch(Color(hex: 0x555555, alpha: 0.2))))
      }
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
