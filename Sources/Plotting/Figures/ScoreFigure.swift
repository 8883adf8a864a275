import Foundation
import RunFormat

/// The score log of one run.
public struct ScoreLog: Sendable {
  /// The run's name in titles and legends.
  public var name: String
  /// The logged steps, in any order (sorted when drawn).
  public var records: [ScoreRecord]

  public init(name: String, records: [ScoreRecord]) {
    self.name = name
    self.records = records
  }
}

/// Positive and negative similarity scores during contrastive training (spec §5.3):
/// a top row with the mean ± std over training, and a bottom row with the distributions
/// at chosen steps, lighter to darker over time; one column per run.
public enum ScoreFigure {
  /// How the distributions at chosen steps are drawn.
  public enum Distribution: String, Sendable, CaseIterable {
    /// Normal curves from the stored mean and variance.
    case gaussian
    /// The stored histograms, as densities.
    case histogram
  }

  static let positiveColor = Palette.okabeIto[0]
  static let negativeColor = Palette.okabeIto[3]
  /// Dashes of the scores before Feature Transformation changed them.
  static let untransformedDash = [4.0, 2.5]

  /// `steps` picks the logged steps whose distributions are drawn (the nearest logged
  /// step to each); nil takes five evenly spaced ones, first and last included.
  public static func make(
    _ runs: [ScoreLog], steps: [Int]? = nil, distribution: Distribution = .gaussian,
    style: FigureStyle = FigureStyle()
  ) throws(PlotError) -> Figure {
    guard !runs.isEmpty else { throw PlotError.empty("list of score logs") }
    var top = [Panel](), bottom = [Panel]()
    var chosenSteps = [[Int]]()
    for run in runs {
      guard !run.records.isEmpty else { throw PlotError.empty("score log of '\(run.name)'") }
      let records = run.records.sorted { $0.step < $1.step }
      top.append(overTraining(records, title: runs.count > 1 ? run.name : nil, theme: style.theme))
      let chosen = try choose(steps, from: records)
      chosenSteps.append(chosen.map(\.step))
      bottom.append(try distributions(chosen, kind: distribution, run: run.name))
    }
    // One legend below the figure; the steps join it when every run shows the same ones.
    let width = style.theme.lineWidth
    var entries = [
      LegendEntry("positive", .lineWithBand(positiveColor, width: width, dash: [])),
      LegendEntry("negative", .lineWithBand(negativeColor, width: width, dash: [])),
    ]
    if runs.contains(where: { $0.records.contains { $0.positiveUntransformed != nil } }) {
      entries += [
        LegendEntry("positive before FT", .line(positiveColor, width: width, dash: untransformedDash, marker: nil, filled: true)),
        LegendEntry("negative before FT", .line(negativeColor, width: width, dash: untransformedDash, marker: nil, filled: true)),
      ]
    }
    if Set(chosenSteps).count == 1 {
      entries += bottom[0].extraLegendEntries
      for index in bottom.indices { bottom[index].legend = .none }
    }
    // One run on a wide page: the two panels side by side; otherwise a column per run.
    let sideBySide = runs.count == 1 && style.isWide
    let panelHeight = min(max(style.width / Double(runs.count) * 0.55, 1.3), 2.2)
    var figure =
      sideBySide
      ? style.figure(height: style.width / 2 * 0.6 + 0.5, rows: 1, columns: 2, panels: top + bottom)
      : style.figure(height: 2 * panelHeight + 0.7, rows: 2, columns: runs.count, panels: top + bottom)
    figure.sharedY = runs.count > 1
    figure.legend = FigureLegend(entries: entries, position: .bottom)
    return figure
  }

  private static func overTraining(_ records: [ScoreRecord], title: String?, theme: Theme) -> Panel {
    var panel = Panel(title: title, x: Axis("step"), y: Axis("cosine score"))
    let steps = records.map { Double($0.step) }
    for (kind, color, pick) in [
      ("positive", positiveColor, { (r: ScoreRecord) in r.positive }),
      ("negative", negativeColor, { (r: ScoreRecord) in r.negative }),
    ] {
      let moments = records.map(pick)
      let spread = moments.map { $0.variance >= 0 ? $0.variance.squareRoot() : .nan }
      panel.addLine(Line(x: steps, y: moments.map(\.mean), color: color, label: kind), spread: spread, within: -1...1)
    }
    // MoCo + Feature Transformation: the scores the transformation started from, dashed.
    let before = records.filter { $0.positiveUntransformed != nil && $0.negativeUntransformed != nil }
    for (color, pick) in [
      (positiveColor, { (r: ScoreRecord) in r.positiveUntransformed! }),
      (negativeColor, { (r: ScoreRecord) in r.negativeUntransformed! }),
    ] where !before.isEmpty {
      var line = Line(x: before.map { Double($0.step) }, y: before.map { pick($0).mean }, color: color)
      line.dash = untransformedDash
      panel.add(.line(line))
    }
    panel.legend = .none
    return panel
  }

  /// The Feature Transformation paper's figure: positive mean, negative mean and negative
  /// variance over training, the runs overlaid in one colour each. The variance is each
  /// anchor's over its negatives, averaged (the notebook's "neg_var"), where every record
  /// of every run has it, and the variance over all negative pairs otherwise (named so).
  public static func overlay(_ runs: [ScoreLog], style: FigureStyle = FigureStyle()) throws(PlotError) -> Figure {
    guard !runs.isEmpty else { throw PlotError.empty("list of score logs") }
    for run in runs where run.records.isEmpty { throw PlotError.empty("score log of '\(run.name)'") }
    let perAnchor = runs.allSatisfy { $0.records.allSatisfy { $0.negative.anchorVariance != nil } }
    let quantities: [(axis: String, value: (ScoreRecord) -> Double)] = [
      ("positive mean", { $0.positive.mean }),
      ("negative mean", { $0.negative.mean }),
      (perAnchor ? "negative variance" : "negative variance (all pairs)",
       { perAnchor ? $0.negative.anchorVariance! : $0.negative.variance }),
    ]
    let palette = style.theme.palette
    var panels = quantities.map { Panel(x: Axis("step"), y: Axis($0.axis)) }
    for (index, run) in runs.enumerated() {
      let records = run.records.sorted { $0.step < $1.step }
      for (panel, quantity) in quantities.enumerated() {
        panels[panel].add(
          .line(
            Line(
              x: records.map { Double($0.step) }, y: records.map(quantity.value), color: Palette.color(index, of: palette),
              label: run.name)))
      }
    }
    for index in panels.indices { panels[index].legend = .none }
    let wide = style.isWide
    var figure = style.figure(
      height: wide ? 2.3 : 1.45 * 3 + 0.3, rows: wide ? 1 : 3, columns: wide ? 3 : 1, panels: panels)
    figure.sharedX = !wide
    figure.legend = FigureLegend(
      entries: runs.indices.map {
        LegendEntry(
          runs[$0].name,
          .line(Palette.color($0, of: palette), width: style.theme.lineWidth, dash: [], marker: nil, filled: true))
      },
      position: .bottom)
    return figure
  }

  /// The logged records nearest to the requested steps, in step order without repeats.
  static func choose(_ requested: [Int]?, from records: [ScoreRecord]) throws(PlotError) -> [ScoreRecord] {
    let targets: [Int]
    if let requested {
      guard !requested.isEmpty else { throw PlotError.empty("list of steps") }
      targets = requested
    } else {
      let count = min(5, records.count)
      let first = records.first!.step, last = records.last!.step
      targets = (0..<count).map { count == 1 ? last : first + (last - first) * $0 / (count - 1) }
    }
    var chosen = [Int]()
    for target in targets {
      let nearest = records.indices.min { abs(records[$0].step - target) < abs(records[$1].step - target) }!
      if !chosen.contains(nearest) { chosen.append(nearest) }
    }
    return chosen.sorted().map { records[$0] }
  }

  private static func distributions(_ records: [ScoreRecord], kind: Distribution, run: String) throws(PlotError)
    -> Panel
  {
    var panel = Panel(x: Axis("cosine similarity", lower: -1, upper: 1), y: Axis("density", lower: 0))
    let positiveShades = Palette.shades(of: positiveColor, count: records.count)
    let negativeShades = Palette.shades(of: negativeColor, count: records.count)
    let grid = (0...400).map { -1 + 2 * Double($0) / 400 }
    for (index, record) in records.enumerated() {
      for (moments, color) in [(record.negative, negativeShades[index]), (record.positive, positiveShades[index])] {
        switch kind {
        case .gaussian where moments.variance == 0:
          // All scores equal: the distribution is a spike at the mean.
          var spike = Rule.vertical(moments.mean, color: color)
          spike.dash = []
          spike.width = 1.2
          panel.add(.rule(spike))
        case .gaussian:
          panel.add(
            .line(
              Line(x: grid, y: Density.normal(mean: moments.mean, variance: moments.variance, at: grid), color: color)))
        case .histogram:
          guard let stored = moments.histogram else {
            throw PlotError(
              "scores of '\(run)' at step \(record.step) have no histogram; draw them as Gaussian curves instead")
          }
          let histogram = Histogram(edges: stored.edges, counts: stored.counts)
          var bars = Bars(edges: histogram.edges, heights: histogram.density, color: color)
          bars.fillAlpha = 0.15
          panel.add(.bars(bars))
        }
      }
      panel.extraLegendEntries.append(
        LegendEntry("step \(record.step)", .linePair(positiveShades[index], negativeShades[index], width: 1.6)))
    }
    panel.legendColumns = records.count > 3 ? 2 : 1
    panel.legend = .inside
    return panel
  }
}
