import Engine
import Foundation

/// Features of one run for the hypersphere figure.
public struct FeatureSet: Sendable {
  /// The run's name in titles.
  public var name: String
  /// N x `dimension` values, row-major (`features/<tag>.npy`).
  public var values: [Float]
  /// Feature dimension D: 2 draws the circle, more the similarity distributions.
  public var dimension: Int
  /// Class of each row, for the per-class panels.
  public var labels: [Int]?
  /// Features of a second augmentation of the same images, row-aligned, for alignment.
  public var positives: [Float]?
  /// ℓ_align and ℓ_uniform from the analysis result, shown in the title when known.
  public var alignment: Double?
  public var uniformity: Double?

  public init(name: String, values: [Float], dimension: Int, labels: [Int]? = nil, positives: [Float]? = nil) {
    self.name = name
    self.values = values
    self.dimension = dimension
    self.labels = labels
    self.positives = positives
  }
}

/// Wang & Isola's hypersphere figure (spec §3.4), on L2-normalised features.
///
/// For 2-D features: the density of the features on the circle S¹ (a 2-D Gaussian KDE),
/// the von Mises density of their angles, the same per class, and the distances between
/// positive pairs. For more dimensions the features are not projected (that would
/// change the geometry); instead: positive-pair distances, the cosine similarity of
/// random pairs, and the same within each class. One row per run.
public enum HypersphereFigure {
  /// Pairs sampled for the all-pairs panel, and per class for the same-class panel.
  static let pairSample = 100_000
  static let classPairSample = 20_000

  /// Features of several runs go in rows drawn to the same scales; `seed` fixes the pairs sampled from large sets.
  public static func make(
    _ sets: [FeatureSet], classNames: [String]? = nil, seed: UInt64 = 0, style: FigureStyle = FigureStyle()
  ) throws(PlotError) -> Figure {
    guard !sets.isEmpty else { throw PlotError.empty("list of feature sets") }
    var rows = [[Panel]]()
    var notes = [String: Double]()
    var classes = Set<Int>()
    let rng = RandomGenerator(seed: seed)
    try checkClassNames(classNames, covering: Set(sets.flatMap { $0.labels ?? [] }))
    let units = try sets.map { set throws(PlotError) in try UnitFeatures(set) }
    // Pair similarities of every run first, so that all cosine axes share one range:
    // [0, 1] when no sampled pair is negative, [-1, 1] otherwise.
    var pairSets = [PairSimilarities]()
    for (index, unit) in units.enumerated() where unit.dimension > 2 {
      var stream = rng.stream(UInt64(index))
      let pairs = try PairSimilarities(unit, rng: &stream)
      notes["\(index).pairs"] = Double(pairs.all.count)
      pairSets.append(pairs)
    }
    let cosineLower = pairSets.allSatisfy { $0.minimum >= 0 } ? 0.0 : -1.0
    var pairIndex = 0
    for (index, unit) in units.enumerated() {
      let set = sets[index]
      // Several runs: one row each, the run named in its first panel; the other panels
      // are titled in the first row only (their columns say what they hold).
      let first = index == 0
      func title(_ text: String, leading: Bool = false) -> String? {
        if sets.count == 1 { return text }
        if leading { return "\(set.name): \(text)" }
        return first ? text : nil
      }
      if let labels = set.labels { classes.formUnion(labels) }
      notes["\(index).skipped_rows"] = Double(unit.skippedRows)
      var panels = [Panel]()
      if set.dimension == 2 {
        panels.append(try circleDensity(unit, title: title("features on S¹", leading: true)))
        let kappa = Density.vonMisesConcentration(unit.angles)
        notes["\(index).von_mises_kappa"] = kappa
        panels.append(try angleDensity(unit, kappa: kappa, title: title("angles"), theme: style.theme))
        if unit.positives != nil { panels.append(alignment(unit, title: title("positive pairs"))) }
        if unit.labels != nil {
          panels.append(
            try classAngleDensity(unit, kappa: kappa, title: title("angles per class"), theme: style.theme))
        }
      } else {
        let pairs = pairSets[pairIndex]
        pairIndex += 1
        panels.append(allPairs(pairs, lower: cosineLower, title: title("all pairs", leading: true)))
        if unit.positives != nil { panels.append(alignment(unit, title: title("positive pairs"))) }
        if unit.labels != nil {
          panels.append(try classPairs(pairs, lower: cosineLower, title: title("same-class pairs"), theme: style.theme))
        }
      }
      rows.append(panels)
    }
    let columns = rows.map(\.count).max()!
    let single = sets.count == 1
    let panels: [Panel]
    let gridRows: Int, gridColumns: Int
    if single && !style.isWide && columns > 2 {
      // One run at column width: one panel per row rather than a thin strip, the
      // per-class panel last, just above the class legend.
      panels = rows[0]
      gridColumns = 1
      gridRows = columns
    } else {
      // One row per run; a run with fewer panels leaves blank cells.
      panels = rows.flatMap { $0 + Array(repeating: Panel.blank, count: columns - $0.count) }
      gridColumns = columns
      gridRows = rows.count
    }
    let panelWidth = style.width / Double(gridColumns)
    let panelHeight = gridColumns == 1 ? panelWidth * 0.42 : panelWidth * 0.72
    var figure = style.figure(
      height: Double(gridRows) * panelHeight + 0.35 + (single ? 0.2 : 0), rows: gridRows, columns: gridColumns,
      panels: panels)
    figure.notes = notes
    figure.sameYScaleInColumns = rows.count > 1
    figure.sharedX = rows.count > 1
    if single, let a = sets[0].alignment, let u = sets[0].uniformity {
      figure.title = "\(sets[0].name): alignment \(TickLocator.fixed(a, 3)), uniformity \(TickLocator.fixed(u, 3))"
    } else if single {
      figure.title = sets[0].name
    }
    if !classes.isEmpty && classes.count <= 30 {
      let palette = style.theme.palette
      figure.legend = FigureLegend(
        entries: classes.sorted().map { c in
          LegendEntry(
            classNames.flatMap { c < $0.count ? $0[c] : nil } ?? "\(c)",
            .line(Palette.color(c, of: palette), width: 1.5, dash: [], marker: nil, filled: true))
        }, position: .bottom)
    }
    return figure
  }

  private static let angleTicks = [
    Tick(-Double.pi, "−π"), Tick(-Double.pi / 2, "−π/2"), Tick(0, "0"), Tick(Double.pi / 2, "π/2"),
    Tick(Double.pi, "π"),
  ]

  private static func angleGrid() -> [Double] { (0...360).map { -Double.pi + 2 * Double.pi * Double($0) / 360 } }

  private static func circleDensity(_ unit: UnitFeatures, title: String?) throws(PlotError) -> Panel {
    let size = 121, reach = 1.3
    let density = try Density.gaussianKDE2D(x: unit.column(0), y: unit.column(1), range: -reach...reach, size: size)
    let half = reach / Double(size - 1)
    var heatmap = Heatmap(
      values: density, rows: size, columns: size, xRange: (-reach - half)...(reach + half),
      yRange: (-reach - half)...(reach + half))
    heatmap.colormap = .blues
    heatmap.smooth = true
    var circle = CircleGuide(radius: 1, color: Color(hex: 0x333333, alpha: 0.5))
    circle.dash = DashPattern.dotted
    var panel = Panel(title: title, x: .hidden, y: .hidden, layers: [.heatmap(heatmap), .circle(circle)])
    panel.equalAspect = true
    panel.x.margin = 0
    panel.y.margin = 0
    return panel
  }

  private static func angleDensity(_ unit: UnitFeatures, kappa: Double, title: String?, theme: Theme) throws(PlotError)
    -> Panel
  {
    let grid = angleGrid()
    let density = try Density.vonMisesKDE(unit.angles, at: grid, concentration: kappa)
    var panel = Panel(
      title: title, x: Axis("angle θ", lower: -Double.pi, upper: Double.pi, ticks: angleTicks),
      y: Axis("density", lower: 0))
    var uniform = Rule.horizontal(1 / (2 * Double.pi), color: Color(hex: 0x555555), label: "uniform")
    uniform.dash = DashPattern.dotted
    panel.add(.rule(uniform))
    panel.add(.line(Line(x: grid, y: density, color: Color(hex: 0x333333), label: "all")))
    panel.legend = .inside
    return panel
  }

  private static func classAngleDensity(_ unit: UnitFeatures, kappa: Double, title: String?, theme: Theme)
    throws(PlotError) -> Panel
  {
    let grid = angleGrid()
    var panel = Panel(
      title: title, x: Axis("angle θ", lower: -Double.pi, upper: Double.pi, ticks: angleTicks),
      y: Axis("density", lower: 0))
    panel.legend = .none
    for (label, members) in unit.rowsByClass() {
      let density = try Density.vonMisesKDE(members.map { unit.angles[$0] }, at: grid, concentration: kappa)
      var line = Line(x: grid, y: density, color: Palette.color(label, of: theme.palette))
      line.width = 1
      panel.add(.line(line))
    }
    return panel
  }

  private static func alignment(_ unit: UnitFeatures, title: String?) -> Panel {
    let distances = unit.positiveDistances()
    let histogram = Histogram(distances, bins: 40, range: 0...2)
    let mean = distances.isEmpty ? Double.nan : distances.reduce(0, +) / Double(distances.count)
    // The mean goes in the title, not in a legend box over the histogram.
    let stated = "mean \(TickLocator.fixed(mean, 2))"
    var panel = Panel(
      title: title.map { "\($0), \(stated)" } ?? stated, x: Axis("‖z − z⁺‖", lower: 0, upper: 2),
      y: Axis("density", lower: 0))
    panel.add(.bars(Bars(edges: histogram.edges, heights: histogram.density, color: Palette.okabeIto[0])))
    var rule = Rule.vertical(mean, color: Palette.okabeIto[3])
    rule.width = 1
    panel.add(.rule(rule))
    panel.legend = .none
    return panel
  }

  private static func allPairs(_ pairs: PairSimilarities, lower: Double, title: String?) -> Panel {
    let histogram = Histogram(pairs.all, bins: lower == 0 ? 30 : 60, range: lower...1)
    var panel = Panel(
      title: title, x: Axis("cosine similarity", lower: lower, upper: 1), y: Axis("density", lower: 0))
    panel.add(.bars(Bars(edges: histogram.edges, heights: histogram.density, color: Palette.okabeIto[0])))
    return panel
  }

  private static func classPairs(
    _ pairs: PairSimilarities, lower: Double, title: String?, theme: Theme
  ) throws(PlotError) -> Panel {
    let points = lower == 0 ? 100 : 200
    let grid = (0...points).map { lower + (1 - lower) * Double($0) / Double(points) }
    var panel = Panel(
      title: title, x: Axis("cosine similarity", lower: lower, upper: 1), y: Axis("density", lower: 0))
    panel.legend = .none
    for (label, similarities) in pairs.byClass {
      var line = Line(
        x: grid, y: try Density.gaussianKDE(similarities, at: grid), color: Palette.color(label, of: theme.palette))
      line.width = 1
      panel.add(.line(line))
    }
    return panel
  }
}

/// Cosine similarities of sampled pairs of one run's features: of all rows, and of rows
/// of the same class (classes with at least two rows, in increasing order).
struct PairSimilarities {
  let all: [Double]
  let byClass: [(Int, [Double])]

  /// The smallest similarity sampled.
  var minimum: Double { min(all.min() ?? 0, byClass.flatMap(\.1).min() ?? 0) }

  init(_ unit: UnitFeatures, rng: inout RandomGenerator) throws(PlotError) {
    let n = unit.count
    guard n >= 2 else { throw PlotError("\(unit.name): need at least two feature rows for pair similarities") }
    all = Self.sample(members: Array(0..<n), limit: HypersphereFigure.pairSample, unit: unit, rng: &rng)
    var byClass = [(Int, [Double])]()
    for (label, members) in unit.rowsByClass() where members.count >= 2 {
      byClass.append((label, Self.sample(members: members, limit: HypersphereFigure.classPairSample, unit: unit, rng: &rng)))
    }
    self.byClass = byClass
  }

  /// Every pair of `members` when there are at most `limit`, else `limit` random pairs.
  private static func sample(members: [Int], limit: Int, unit: UnitFeatures, rng: inout RandomGenerator) -> [Double] {
    var similarities = [Double]()
    let count = members.count
    if count * (count - 1) / 2 <= limit {
      for a in 0..<count { for b in (a + 1)..<count { similarities.append(unit.cosine(members[a], members[b])) } }
    } else {
      similarities.reserveCapacity(limit)
      while similarities.count < limit {
        let a = members[rng.int(below: count)], b = members[rng.int(below: count)]
        if a != b { similarities.append(unit.cosine(a, b)) }
      }
    }
    return similarities
  }
}

/// L2-normalised feature rows; rows with a zero or non-finite norm are dropped and counted.
struct UnitFeatures {
  let name: String
  let dimension: Int
  /// Normalised rows, row-major.
  let rows: [Double]
  let labels: [Int]?
  let positives: [Double]?
  let skippedRows: Int

  var count: Int { rows.count / dimension }

  init(_ set: FeatureSet) throws(PlotError) {
    let d = set.dimension
    guard d >= 2 else { throw PlotError("features of '\(set.name)': need at least 2 dimensions, got \(d)") }
    guard !set.values.isEmpty else { throw PlotError.empty("features of '\(set.name)'") }
    guard set.values.count % d == 0 else {
      throw PlotError("features of '\(set.name)': \(set.values.count) values are not rows of \(d)")
    }
    let n = set.values.count / d
    if let labels = set.labels, labels.count != n {
      throw PlotError("features of '\(set.name)': \(n) rows but \(labels.count) labels")
    }
    if let positives = set.positives, positives.count != set.values.count {
      throw PlotError("positives of '\(set.name)': \(positives.count / d) rows, features have \(n)")
    }
    func normalised(_ values: [Float], row: Int) -> [Double]? {
      var norm = 0.0
      for k in 0..<d {
        let v = Double(values[row * d + k])
        norm += v * v
      }
      guard norm > 0, norm.isFinite else { return nil }
      let scale = 1 / norm.squareRoot()
      return (0..<d).map { Double(values[row * d + $0]) * scale }
    }
    var rows = [Double](), positives = [Double](), labels = [Int]()
    var skipped = 0
    for row in 0..<n {
      guard let z = normalised(set.values, row: row) else {
        skipped += 1
        continue
      }
      if let other = set.positives {
        guard let zPlus = normalised(other, row: row) else {
          skipped += 1
          continue
        }
        positives += zPlus
      }
      rows += z
      if let given = set.labels { labels.append(given[row]) }
    }
    guard !rows.isEmpty else {
      throw PlotError("features of '\(set.name)': every row is zero, NaN or infinite; nothing to plot")
    }
    name = set.name
    dimension = d
    self.rows = rows
    self.labels = set.labels == nil ? nil : labels
    self.positives = set.positives == nil ? nil : positives
    skippedRows = skipped
  }

  func column(_ k: Int) -> [Double] { stride(from: k, to: rows.count, by: dimension).map { rows[$0] } }

  var angles: [Double] { (0..<count).map { atan2(rows[$0 * dimension + 1], rows[$0 * dimension]) } }

  func cosine(_ i: Int, _ j: Int) -> Double {
    var total = 0.0
    for k in 0..<dimension { total += rows[i * dimension + k] * rows[j * dimension + k] }
    return total
  }

  /// ‖z − z⁺‖ for each row.
  func positiveDistances() -> [Double] {
    guard let positives else { return [] }
    return (0..<count).map { i in
      var total = 0.0
      for k in 0..<dimension {
        let difference = rows[i * dimension + k] - positives[i * dimension + k]
        total += difference * difference
      }
      return total.squareRoot()
    }
  }

  /// Row indices of each class, classes in increasing order.
  func rowsByClass() -> [(Int, [Int])] {
    guard let labels else { return [] }
    var groups = [Int: [Int]]()
    for (row, label) in labels.enumerated() { groups[label, default: []].append(row) }
    return groups.keys.sorted().map { ($0, groups[$0]!) }
  }
}
