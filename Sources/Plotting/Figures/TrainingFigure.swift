import Foundation
import RunFormat

/// The metrics log of one run.
public struct TrainingLog: Sendable {
  /// The run's name in legends.
  public var name: String
  /// The logged steps, in any order (sorted when drawn).
  public var records: [MetricsRecord]

  public init(name: String, records: [MetricsRecord]) {
    self.name = name
    self.records = records
  }
}

/// Training curves: loss (with its parts when one run is shown), accuracy and learning
/// rate over steps, and for FNC runs the precision (solid) and recall (dashed) of the
/// detected false negatives; several runs share colours across panels.
public enum TrainingFigure {
  /// `smoothing` in 0..<1 is the weight of an exponential moving average drawn over the
  /// faint raw curve (0 draws the raw curve only); `logLoss` puts the loss on a log axis.
  public static func make(
    _ runs: [TrainingLog], smoothing: Double = 0, logLoss: Bool = false, style: FigureStyle = FigureStyle()
  ) throws(PlotError) -> Figure {
    guard !runs.isEmpty else { throw PlotError.empty("list of training logs") }
    guard smoothing >= 0, smoothing < 1 else { throw PlotError("smoothing must be in 0..<1, got \(smoothing)") }
    for run in runs where run.records.isEmpty { throw PlotError.empty("metrics log of '\(run.name)'") }
    let palette = style.theme.palette
    var loss = Panel(x: Axis("step"), y: Axis("loss", scale: logLoss ? .log : .linear))
    var accuracy = Panel(x: Axis("step"), y: Axis("accuracy (%)"))
    var rate = Panel(x: Axis("step"), y: Axis("learning rate"))
    var detection = Panel(x: Axis("step"), y: Axis("false negatives (%)", lower: 0, upper: 100))
    let accuracies = runs.flatMap { $0.records.compactMap(\.accuracy) }.filter(\.isFinite)
    let percent = accuracies.contains { $0 > 1 } ? 1.0 : 100.0
    let single = runs.count == 1
    let parts = Set(runs.flatMap { $0.records.flatMap { $0.lossParts.keys } }).sorted()
    if !single {
      loss.extraLegendEntries = parts.enumerated().map { offset, part in
        LegendEntry(part, .line(Color(hex: 0x555555), width: style.theme.lineWidth, dash: DashPattern.cycle(offset + 1), marker: nil, filled: true))
      }
    }
    for (index, run) in runs.enumerated() {
      let records = run.records.sorted { $0.step < $1.step }
      let steps = records.map { Double($0.step) }
      let color = Palette.color(index, of: palette)
      add(
        to: &loss, x: steps, y: records.map(\.loss), color: color, label: single ? "total" : nil, smoothing: smoothing)
      // Loss parts: one colour each for one run; for several, the run's colour, one dash
      // per part, named in the loss panel's legend.
      for part in Set(records.flatMap { $0.lossParts.keys }).sorted() {
        let offset = parts.firstIndex(of: part)!
        add(
          to: &loss, x: steps, y: records.map { $0.lossParts[part] ?? .nan },
          color: single ? Palette.color(offset + 1, of: palette) : color, label: single ? part : nil,
          smoothing: smoothing, dash: DashPattern.cycle(offset + 1))
      }
      if records.contains(where: { $0.accuracy != nil }) {
        add(
          to: &accuracy, x: steps, y: records.map { ($0.accuracy ?? .nan) * percent }, color: color, label: run.name,
          smoothing: smoothing)
      }
      for (key, dash) in [("fnc_precision", [Double]()), ("fnc_recall", DashPattern.cycle(1))]
      where records.contains(where: { $0.values[key] != nil }) {
        add(
          to: &detection, x: steps, y: records.map { ($0.values[key] ?? .nan) * 100 }, color: color,
          label: "\(single ? "" : run.name + " ")\(key == "fnc_precision" ? "precision" : "recall")", smoothing: smoothing,
          dash: dash)
      }
      if records.contains(where: { $0.learningRate != nil }) {
        rate.add(.line(Line(x: steps, y: records.map { $0.learningRate ?? .nan }, color: color, label: run.name)))
      }
    }
    var panels = [loss]
    if !accuracy.layers.isEmpty { panels.append(accuracy) }
    if !rate.layers.isEmpty { panels.append(rate) }
    if !detection.layers.isEmpty { panels.append(detection) }
    // Run names go in one legend for the figure; the loss parts keep theirs,
    // and the detection panel says which curve is precision and which recall.
    let showsParts = loss.legendEntries(theme: style.theme).count > (single ? 1 : 0)
    for index in panels.indices where !(showsParts && index == 0) && !(index == panels.count - 1 && !detection.layers.isEmpty) {
      panels[index].legend = .none
    }
    let wide = style.isWide
    let count = panels.count
    var figure = style.figure(
      height: wide ? 2.3 : 1.45 * Double(count) + 0.3, rows: wide ? 1 : count, columns: wide ? count : 1,
      panels: panels)
    figure.sharedX = !wide
    if !single {
      figure.legend = FigureLegend(
        entries: runs.enumerated().map {
          LegendEntry(
            $0.element.name,
            .line(
              Palette.color($0.offset, of: palette), width: style.theme.lineWidth, dash: [], marker: nil, filled: true))
        },
        position: .bottom)
    }
    return figure
  }

  /// Adds a curve, smoothed over a faint raw curve when `smoothing` > 0.
  private static func add(
    to panel: inout Panel, x: [Double], y: [Double], color: Color, label: String?, smoothing: Double, dash: [Double] = []
  ) {
    guard smoothing > 0 else {
      panel.add(.line(Line(x: x, y: y, color: color, label: label, dash: dash)))
      return
    }
    var raw = Line(x: x, y: y, color: color.with(alpha: 0.25))
    raw.width = 0.7
    panel.add(.line(raw))
    panel.add(
      .line(
        Line(x: x, y: exponentialMovingAverage(y, at: x, weight: smoothing), color: color, label: label, dash: dash)))
  }

  /// TensorBoard-style smoothing per training step, not per logged point: between
  /// points Δ steps apart, sₜ = w^Δ·sₜ₋₁ + (1 − w^Δ)·xₜ, debiased for the first steps
  /// (records logged every 10 steps and at uneven epoch ends are smoothed alike); a
  /// non-finite value stays a gap and does not enter the average.
  static func exponentialMovingAverage(_ values: [Double], at steps: [Double], weight: Double) -> [Double] {
    var average = 0.0, correction = 0.0
    var previous: Double?
    return zip(values, steps).map { value, step in
      guard value.isFinite else { return .nan }
      let decay = pow(weight, max(1, step - (previous ?? (step - 1))))
      previous = step
      average = decay * average + (1 - decay) * value
      correction = decay * correction + (1 - decay)
      return average / correction
    }
  }
}
