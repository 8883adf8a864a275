import Foundation

/// Space around a plot area taken by ticks, labels, a title, a colour bar or a legend.
struct Margins: Equatable {
  var left = 0.0
  var right = 0.0
  var top = 0.0
  var bottom = 0.0
}

/// The resolved state of one panel while the figure is laid out.
struct PanelPlan {
  /// Limits from the data (before an equal aspect widens one of them).
  var dataX: AxisRange
  var dataY: AxisRange
  var x: AxisRange
  var y: AxisRange
  var xTicks: [Tick] = []
  var yTicks: [Tick] = []
  var showsXTickLabels = true
  var showsYTickLabels = true
  var legendEntries: [LegendEntry] = []
  var legendBox: LegendBox?
  var legendOutside = false
  var legendOrigin: Point?
  var colorbarTicks: [Tick] = []
  var margins = Margins()
  var rect = Rect(x: 0, y: 0, width: 0, height: 0)
  var row = 0
  var column = 0

  var mapping: PlotMapping { PlotMapping(rect: rect, x: x, y: y) }
}

/// Lays out and draws a `Figure` onto one render target.
struct FigureRenderer {
  let figure: Figure
  var theme: Theme { figure.theme }
  private var pageWidth: Double { figure.width * pointsPerInch }
  /// Legend labels are shortened beyond this width, so panels keep most of the page.
  private var maxLegendLabelWidth: Double { pageWidth * 0.3 }
  private var pageHeight: Double { figure.height * pointsPerInch }

  init(figure: Figure) { self.figure = figure }

  func render(_ format: OutputFormat) throws(PlotError) -> RenderedFigure {
    try validate()
    let target = try RenderTarget(
      format: format, width: figure.width, height: figure.height, dpi: figure.dpi, fontFamily: theme.fontFamily,
      threads: figure.threads)
    let canvas = target.canvas
    var plans = try initialPlans()
    let figureLegend = figure.legend.map { legend in
      let columns =
        legend.columns
        ?? (legend.position == .bottom
          ? LegendBox.columnsFitting(
            width: pageWidth - 2 * theme.outerPadding, entries: legend.entries, fontSize: theme.legendSize,
            maxLabelWidth: maxLegendLabelWidth, canvas: canvas)
          : 1)
      return LegendBox(
        entries: legend.entries, columns: columns, fontSize: theme.legendSize, maxLabelWidth: maxLegendLabelWidth,
        canvas: canvas)
    }
    try layout(&plans, figureLegend: figureLegend, canvas: canvas)
    if try placeLegends(&plans, canvas: canvas, decideOutside: true) {
      try layout(&plans, figureLegend: figureLegend, canvas: canvas)
      _ = try placeLegends(&plans, canvas: canvas, decideOutside: false)
    }
    var report = RenderReport()
    canvas.fill(Rect(x: 0, y: 0, width: pageWidth, height: pageHeight), theme.background)
    for index in plans.indices where !figure.panels[index].isBlank {
      let skipped = try drawPanel(figure.panels[index], plan: plans[index], plans: plans, target: target)
      report.skippedNonFinite += skipped.nonFinite
      report.skippedNonPositive += skipped.nonPositive
      if skipped.nonFinite > 0 || skipped.nonPositive > 0 {
        let name = figure.panels[index].title.map { "'\($0)'" } ?? "\(index + 1)"
        var parts = [String]()
        if skipped.nonFinite > 0 { parts.append("\(skipped.nonFinite) NaN or infinite values") }
        if skipped.nonPositive > 0 { parts.append("\(skipped.nonPositive) values ≤ 0 on a log axis") }
        report.warnings.append("panel \(name): skipped \(parts.joined(separator: " and "))")
      }
    }
    if let figureLegend, let legend = figure.legend {
      let origin: Point
      switch legend.position {
      case .bottom:
        origin = Point((pageWidth - figureLegend.width) / 2, pageHeight - theme.outerPadding - figureLegend.height)
      case .right:
        let top = plans.map(\.rect.minY).min() ?? 0, bottom = plans.map(\.rect.maxY).max() ?? pageHeight
        origin = Point(
          pageWidth - theme.outerPadding - figureLegend.width, max(0, (top + bottom - figureLegend.height) / 2))
      }
      figureLegend.draw(at: origin, canvas: canvas, theme: theme, background: false)
    }
    if let title = figure.title {
      // A title wider than the page is set smaller, down to the tick-label size, and
      // then shortened in the middle: never clipped at the page edges.
      let available = pageWidth - 2 * theme.outerPadding
      var size = theme.titleSize + 1
      canvas.setFont(size: size, bold: true)
      let natural = canvas.textWidth(title)
      if natural > available {
        size = max(theme.tickLabelSize, size * available / natural)
        canvas.setFont(size: size, bold: true)
      }
      canvas.setColor(theme.textColor)
      canvas.drawText(
        canvas.textShortened(title, to: available), at: Point(pageWidth / 2, theme.outerPadding),
        horizontal: .center, vertical: .top, size: size)
    }
    let bytes = try target.finish()
    return RenderedFigure(
      format: format, bytes: bytes, report: report, width: target.pixelWidth, height: target.pixelHeight,
      unitsPerPoint: canvas.pixelsPerPoint, plotAreas: plans.map(\.rect), mappings: plans.map(\.mapping))
  }

  private func validate() throws(PlotError) {
    guard figure.width > 0, figure.height > 0, figure.width.isFinite, figure.height.isFinite else {
      throw PlotError("figure size \(figure.width) x \(figure.height) in must be positive")
    }
    guard figure.width <= 100, figure.height <= 100 else {
      throw PlotError("figure size \(figure.width) x \(figure.height) in is larger than 100 in")
    }
    guard figure.dpi >= 10, figure.dpi <= 2400 else { throw PlotError("dpi \(figure.dpi) is outside 10...2400") }
    guard figure.rows >= 1, figure.columns >= 1 else { throw PlotError("a figure needs at least one row and column") }
    guard !figure.panels.isEmpty else { throw PlotError.empty("figure") }
    guard figure.panels.count <= figure.rows * figure.columns else {
      throw PlotError("\(figure.panels.count) panels do not fit a \(figure.rows) x \(figure.columns) grid")
    }
  }

  // MARK: Limits

  private func initialPlans() throws(PlotError) -> [PanelPlan] {
    var plans = [PanelPlan]()
    for (index, panel) in figure.panels.enumerated() {
      if panel.isBlank {
        let unit = AxisRange(lower: 0, upper: 1, scale: .linear)
        var plan = PanelPlan(dataX: unit, dataY: unit, x: unit, y: unit)
        plan.row = index / figure.columns
        plan.column = index % figure.columns
        plan.showsXTickLabels = false
        plan.showsYTickLabels = false
        plans.append(plan)
        continue
      }
      let bounds = panel.layers.map { $0.drawing.bounds(x: panel.x.scale, y: panel.y.scale) }
      let name = panel.title.map { "panel '\($0)'" } ?? "panel \(index + 1)"
      let x = try AxisLimits.resolve(
        axis: panel.x, ranges: bounds.compactMap(\.x), sticky: bounds.flatMap(\.stickyX), what: "\(name), x axis")
      let y = try AxisLimits.resolve(
        axis: panel.y, ranges: bounds.compactMap(\.y), sticky: bounds.flatMap(\.stickyY), what: "\(name), y axis")
      var plan = PanelPlan(dataX: x, dataY: y, x: x, y: y)
      plan.row = index / figure.columns
      plan.column = index % figure.columns
      plan.legendEntries = panel.legend == .none ? [] : panel.legendEntries(theme: theme)
      if figure.sharedX {
        let below = index + figure.columns
        plan.showsXTickLabels = !figure.panels.indices.contains(below) || figure.panels[below].isBlank
      }
      if figure.sharedY { plan.showsYTickLabels = plan.column == 0 }
      if let heatmap = panel.colorbarLayer {
        plan.colorbarTicks = TickLocator.linear(heatmap.resolvedRange, maxCount: 5)
      }
      plans.append(plan)
    }
    if figure.sharedX { share(&plans, key: \.column, axis: \.dataX) }
    if figure.sharedY { share(&plans, key: \.row, axis: \.dataY) }
    if figure.sameYScaleInColumns { share(&plans, key: \.column, axis: \.dataY) }
    for index in plans.indices {
      plans[index].x = plans[index].dataX
      plans[index].y = plans[index].dataY
    }
    return plans
  }

  /// Gives every panel in the same row or column the union of their limits.
  private func share(
    _ plans: inout [PanelPlan], key: KeyPath<PanelPlan, Int>, axis: WritableKeyPath<PanelPlan, AxisRange>
  ) {
    for group in Set(plans.map { $0[keyPath: key] }) {
      let members = plans.indices.filter { plans[$0][keyPath: key] == group && !figure.panels[$0].isBlank }
      guard !members.isEmpty else { continue }
      let lower = members.map { plans[$0][keyPath: axis].lower }.min()!
      let upper = members.map { plans[$0][keyPath: axis].upper }.max()!
      for member in members {
        plans[member][keyPath: axis].lower = lower
        plans[member][keyPath: axis].upper = upper
      }
    }
  }

  // MARK: Layout

  /// Finds plot areas such that every panel's labels fit: ticks depend on the area's
  /// size and the margins on the ticks, so this repeats until the margins settle.
  private func layout(_ plans: inout [PanelPlan], figureLegend: LegendBox?, canvas: Canvas) throws(PlotError) {
    if plans[0].rect.width == 0 {
      let cellWidth = pageWidth / Double(figure.columns), cellHeight = pageHeight / Double(figure.rows)
      for index in plans.indices {
        plans[index].rect = Rect(x: 0, y: 0, width: cellWidth * 0.75, height: cellHeight * 0.7)
      }
    }
    for _ in 0..<5 {
      var changed = false
      for index in plans.indices {
        resolveTicks(&plans[index], panel: figure.panels[index], canvas: canvas)
        let margins = computeMargins(plans[index], panel: figure.panels[index], canvas: canvas)
        if margins != plans[index].margins { changed = true }
        plans[index].margins = margins
      }
      try placeRects(&plans, figureLegend: figureLegend)
      if !changed { break }
    }
    for index in plans.indices { resolveTicks(&plans[index], panel: figure.panels[index], canvas: canvas) }
  }

  private func resolveTicks(_ plan: inout PanelPlan, panel: Panel, canvas: Canvas) {
    plan.x = plan.dataX
    plan.y = plan.dataY
    if panel.equalAspect { AxisLimits.equalAspect(x: &plan.x, y: &plan.y, rect: plan.rect) }
    plan.xTicks = ticks(for: panel.x, range: plan.x, length: plan.rect.width, spacing: 48)
    plan.yTicks = ticks(for: panel.y, range: plan.y, length: plan.rect.height, spacing: 28)
    canvas.setFont(size: theme.tickLabelSize)
    let labelHeight = theme.tickLabelSize * TextMetrics.capHeight
    plan.xTicks = thinned(plan.xTicks, position: { plan.mapping.pageX($0) }) { canvas.textWidth($0) }
    plan.yTicks = thinned(plan.yTicks, position: { plan.mapping.pageY($0) }) { _ in labelHeight }
  }

  /// Clears the labels of every other (third, ...) tick while neighbouring labels of
  /// `extent` points would overlap; the tick marks stay.
  private func thinned(_ ticks: [Tick], position: (Double) -> Double?, extent: (String) -> Double) -> [Tick] {
    let labelled = ticks.indices.filter { ticks[$0].isMajor && !ticks[$0].label.isEmpty }
    guard labelled.count > 2 else { return ticks }
    let gap = 3.0
    var every = 1
    while every < labelled.count {
      let kept = stride(from: 0, to: labelled.count, by: every).map { labelled[$0] }
      var overlaps = false
      for (a, b) in zip(kept, kept.dropFirst()) {
        guard let pa = position(ticks[a].value), let pb = position(ticks[b].value) else { continue }
        if abs(pb - pa) < (extent(ticks[a].label) + extent(ticks[b].label)) / 2 + gap { overlaps = true }
      }
      if !overlaps { break }
      every += 1
    }
    guard every > 1 else { return ticks }
    var result = ticks
    for (rank, index) in labelled.enumerated() where rank % every != 0 { result[index].label = "" }
    return result
  }

  private func ticks(for axis: Axis, range: AxisRange, length: Double, spacing: Double) -> [Tick] {
    guard axis.isVisible else { return [] }
    let all: [Tick]
    if let custom = axis.ticks {
      all = custom
    } else {
      let count = min(max(Int(length / spacing), 3), 8)
      let interval = min(range.lower, range.upper)...max(range.lower, range.upper)
      all =
        axis.scale == .log ? TickLocator.log(interval, maxCount: count) : TickLocator.linear(interval, maxCount: count)
    }
    return all.filter { tick in
      guard let fraction = range.fraction(tick.value) else { return false }
      return fraction >= -1e-9 && fraction <= 1 + 1e-9
    }
  }

  private func computeMargins(_ plan: PanelPlan, panel: Panel, canvas: Canvas) -> Margins {
    var margins = Margins()
    if panel.isBlank { return margins }
    let line = TextMetrics.lineHeight
    if panel.y.isVisible {
      margins.left += theme.tickLength
      let labels = plan.yTicks.filter(\.isMajor).map(\.label)
      if plan.showsYTickLabels && !labels.isEmpty {
        canvas.setFont(size: theme.tickLabelSize)
        margins.left += 2.5 + labels.map { canvas.textWidth($0) }.max()!
      }
      if plan.showsYTickLabels, panel.y.label != nil { margins.left += 3.5 + theme.labelSize * line }
    }
    if panel.x.isVisible {
      margins.bottom += theme.tickLength
      let labelled = plan.xTicks.filter { $0.isMajor && !$0.label.isEmpty }
      if plan.showsXTickLabels && !labelled.isEmpty {
        margins.bottom += 2.5 + theme.tickLabelSize * TextMetrics.capHeight + 0.5
        // Tick labels centred on the first and last ticks may stick out sideways.
        canvas.setFont(size: theme.tickLabelSize)
        for tick in [labelled.first!, labelled.last!] {
          guard let fraction = plan.x.fraction(tick.value) else { continue }
          let half = canvas.textWidth(tick.label) / 2
          margins.right = max(margins.right, half - (1 - fraction) * plan.rect.width)
          if !panel.y.isVisible || !plan.showsYTickLabels {
            margins.left = max(margins.left, half - fraction * plan.rect.width)
          }
        }
      }
      if plan.showsXTickLabels, panel.x.label != nil { margins.bottom += 3.5 + theme.labelSize * line }
    }
    if panel.title != nil || figure.panelLabels {
      margins.top = max(theme.titleSize, figure.panelLabels ? theme.panelLabelSize : 0) * line + 4
    } else if plan.showsYTickLabels && panel.y.isVisible {
      margins.top = theme.tickLabelSize * TextMetrics.capHeight / 2 + 1
    }
    if let heatmap = panel.colorbarLayer {
      canvas.setFont(size: theme.tickLabelSize)
      let widest = plan.colorbarTicks.map { canvas.textWidth($0.label) }.max() ?? 0
      margins.right = max(margins.right, 0) + Colorbar.gap + Colorbar.width + 2 + 2.5 + widest
      if heatmap.colorbarLabel?.isEmpty == false { margins.right += 3.5 + theme.labelSize * line }
    }
    if plan.legendOutside, let box = plan.legendBox { margins.right += 6 + box.width }
    margins.left = max(margins.left, 2)
    margins.right = max(margins.right, 2)
    margins.top = max(margins.top, 2)
    margins.bottom = max(margins.bottom, 2)
    return margins
  }

  /// Equal-sized plot areas in the grid, each column and row as wide as its widest labels.
  private func placeRects(_ plans: inout [PanelPlan], figureLegend: LegendBox?) throws(PlotError) {
    let rows = figure.rows, columns = figure.columns
    var left = [Double](repeating: 0, count: columns), right = left
    var top = [Double](repeating: 0, count: rows), bottom = top
    for plan in plans {
      left[plan.column] = max(left[plan.column], plan.margins.left)
      right[plan.column] = max(right[plan.column], plan.margins.right)
      top[plan.row] = max(top[plan.row], plan.margins.top)
      bottom[plan.row] = max(bottom[plan.row], plan.margins.bottom)
    }
    let pad = theme.outerPadding
    let titleSpace = figure.title == nil ? 0 : (theme.titleSize + 1) * TextMetrics.lineHeight + 4
    var reserveRight = 0.0, reserveBottom = 0.0
    if let figureLegend, let legend = figure.legend {
      if legend.position == .bottom {
        reserveBottom = figureLegend.height + 4
      } else {
        reserveRight = figureLegend.width + 6
      }
    }
    let spacing = theme.panelSpacing
    let plotWidth =
      (pageWidth - 2 * pad - reserveRight - left.reduce(0, +) - right.reduce(0, +) - Double(columns - 1) * spacing)
      / Double(columns)
    let plotHeight =
      (pageHeight - 2 * pad - titleSpace - reserveBottom - top.reduce(0, +) - bottom.reduce(0, +)
        - Double(rows - 1) * spacing) / Double(rows)
    guard plotWidth >= 15, plotHeight >= 15 else {
      throw PlotError(
        "a \(figure.width) x \(figure.height) in figure is too small for \(rows) x \(columns) panels and their labels; make it larger"
      )
    }
    for index in plans.indices {
      let c = plans[index].column, r = plans[index].row
      var x = pad
      for k in 0..<c { x += left[k] + plotWidth + right[k] + spacing }
      var y = pad + titleSpace
      for k in 0..<r { y += top[k] + plotHeight + bottom[k] + spacing }
      plans[index].rect = Rect(x: x + left[c], y: y + top[r], width: plotWidth, height: plotHeight)
    }
  }

  // MARK: Legends

  /// Measures each panel's legend and picks its place. Returns true when a legend moved
  /// outside, so the layout must make room for it.
  private func placeLegends(_ plans: inout [PanelPlan], canvas: Canvas, decideOutside: Bool) throws(PlotError) -> Bool {
    var moved = false
    for index in plans.indices {
      let panel = figure.panels[index]
      var plan = plans[index]
      guard !plan.legendEntries.isEmpty else { continue }
      let rect = plan.rect
      var columns = panel.legendColumns ?? 1
      var box = LegendBox(
        entries: plan.legendEntries, columns: columns, fontSize: theme.legendSize,
        maxLabelWidth: maxLegendLabelWidth, canvas: canvas)
      while panel.legendColumns == nil, box.height > rect.height * (plan.legendOutside ? 1.0 : 0.8),
        columns < plan.legendEntries.count
      {
        columns += 1
        box = LegendBox(
        entries: plan.legendEntries, columns: columns, fontSize: theme.legendSize,
        maxLabelWidth: maxLegendLabelWidth, canvas: canvas)
      }
      plan.legendBox = box
      let inset = 4.0
      let candidates: [(LegendPlacement?, Point)] = [
        (.upperRight, Point(rect.maxX - box.width - inset, rect.minY + inset)),
        (.upperLeft, Point(rect.minX + inset, rect.minY + inset)),
        (.lowerLeft, Point(rect.minX + inset, rect.maxY - box.height - inset)),
        (.lowerRight, Point(rect.maxX - box.width - inset, rect.maxY - box.height - inset)),
        (nil, Point(rect.maxX - box.width - inset, rect.midY - box.height / 2)),
        (nil, Point(rect.minX + inset, rect.midY - box.height / 2)),
        (nil, Point(rect.midX - box.width / 2, rect.minY + inset)),
        (nil, Point(rect.midX - box.width / 2, rect.maxY - box.height - inset)),
      ]
      switch panel.legend {
      case .none:
        continue
      case .outside:
        if !plan.legendOutside { moved = true }
        plan.legendOutside = true
      case .upperLeft, .upperRight, .lowerLeft, .lowerRight:
        plan.legendOrigin = candidates.first { $0.0 == panel.legend }!.1
      case .inside where !(box.width <= rect.width - 2 * inset && box.height <= rect.height - 2 * inset):
        // Too big to go inside at all.
        if !plan.legendOutside { moved = true }
        plan.legendOutside = true
      case .inside:
        var grid = OccupancyGrid(rect: rect)
        for layer in panel.layers { layer.drawing.markOccupancy(&grid, mapping: plan.mapping) }
        let costs = candidates.map {
          grid.cost(Rect(x: $0.1.x - 1, y: $0.1.y - 1, width: box.width + 2, height: box.height + 2))
        }
        plan.legendOrigin = candidates[costs.indices.min { costs[$0] < costs[$1] }!].1
      case .best:
        if plan.legendOutside { break }
        let fits = box.width <= rect.width - 2 * inset && box.height <= rect.height - 2 * inset
        var grid = OccupancyGrid(rect: rect)
        let mapping = plan.mapping
        for layer in panel.layers { layer.drawing.markOccupancy(&grid, mapping: mapping) }
        let costs = candidates.map {
          grid.cost(Rect(x: $0.1.x - 1, y: $0.1.y - 1, width: box.width + 2, height: box.height + 2))
        }
        let best = costs.indices.min { costs[$0] < costs[$1] }!
        if fits && (costs[best] == 0 || !decideOutside) {
          plan.legendOrigin = candidates[best].1
        } else {
          plan.legendOutside = true
          moved = true
        }
      }
      plans[index] = plan
    }
    for index in plans.indices where plans[index].legendOutside {
      let rect = plans[index].rect
      let colorbarSpace =
        figure.panels[index].colorbarLayer == nil
        ? 0 : plans[index].margins.right - 6 - (plans[index].legendBox?.width ?? 0)
      plans[index].legendOrigin = Point(rect.maxX + max(colorbarSpace, 0) + 6, rect.minY)
    }
    return moved
  }

  // MARK: Drawing

  private func drawPanel(
    _ panel: Panel, plan: PanelPlan, plans: [PanelPlan], target: RenderTarget
  ) throws(PlotError) -> SkippedValues {
    let canvas = target.canvas
    let rect = plan.rect
    let mapping = plan.mapping
    drawGrid(panel, plan: plan, canvas: canvas)
    let context = DrawContext(canvas: canvas, target: target, theme: theme, rasterDPI: figure.dpi)
    var skipped = SkippedValues()
    canvas.save()
    canvas.clip(to: rect)
    for layer in panel.layers {
      if case .text = layer { continue }
      skipped = skipped + (try layer.drawing.draw(in: context, mapping: mapping))
    }
    canvas.restore()
    for layer in panel.layers {
      switch layer {
      case .line(let line): line.drawMarkers(in: context, mapping: mapping)
      case .text: skipped = skipped + (try layer.drawing.draw(in: context, mapping: mapping))
      default: break
      }
    }
    drawAxes(panel, plan: plan, plans: plans, canvas: canvas)
    if let heatmap = panel.colorbarLayer {
      try Colorbar.draw(heatmap, ticks: plan.colorbarTicks, next: rect, theme: theme, canvas: canvas)
    }
    if let box = plan.legendBox, let origin = plan.legendOrigin {
      box.draw(at: origin, canvas: canvas, theme: theme, background: !plan.legendOutside)
    }
    try canvas.checkStatus()
    return skipped
  }

  private func drawGrid(_ panel: Panel, plan: PanelPlan, canvas: Canvas) {
    let rect = plan.rect
    canvas.setColor(theme.gridColor)
    canvas.setLineWidth(theme.gridLineWidth)
    canvas.setDash([])
    canvas.newPath()
    if panel.x.showsGrid && panel.x.isVisible {
      for tick in plan.xTicks where tick.isMajor {
        guard let x = plan.mapping.pageX(tick.value), x > rect.minX + 0.5, x < rect.maxX - 0.5 else { continue }
        canvas.move(to: Point(x, rect.minY))
        canvas.line(to: Point(x, rect.maxY))
      }
    }
    if panel.y.showsGrid && panel.y.isVisible {
      for tick in plan.yTicks where tick.isMajor {
        guard let y = plan.mapping.pageY(tick.value), y > rect.minY + 0.5, y < rect.maxY - 0.5 else { continue }
        canvas.move(to: Point(rect.minX, y))
        canvas.line(to: Point(rect.maxX, y))
      }
    }
    canvas.stroke()
  }

  private func drawAxes(_ panel: Panel, plan: PanelPlan, plans: [PanelPlan], canvas: Canvas) {
    let rect = plan.rect
    let mapping = plan.mapping
    // The widest left and bottom margins of the panel's column and row, so that axis
    // labels line up across panels.
    let columnLeft = plans.filter { $0.column == plan.column }.map(\.margins.left).max() ?? plan.margins.left
    let rowBottom = plans.filter { $0.row == plan.row }.map(\.margins.bottom).max() ?? plan.margins.bottom
    if panel.framed {
      canvas.setColor(theme.axisColor.with(alpha: 0.6))
      canvas.setLineWidth(theme.axisLineWidth * 0.8)
      canvas.setDash([])
      canvas.newPath()
      canvas.addRect(rect)
      canvas.stroke()
    }
    canvas.setColor(theme.axisColor)
    canvas.setLineWidth(theme.axisLineWidth)
    canvas.setDash([])
    canvas.newPath()
    if panel.y.isVisible {
      canvas.move(to: Point(rect.minX, rect.minY))
      canvas.line(to: Point(rect.minX, rect.maxY))
    }
    if panel.x.isVisible {
      canvas.move(to: Point(rect.minX - (panel.y.isVisible ? theme.axisLineWidth / 2 : 0), rect.maxY))
      canvas.line(to: Point(rect.maxX, rect.maxY))
    }
    for tick in plan.yTicks {
      guard let y = mapping.pageY(tick.value) else { continue }
      canvas.move(to: Point(rect.minX, y))
      canvas.line(to: Point(rect.minX - theme.tickLength * (tick.isMajor ? 1 : 0.55), y))
    }
    for tick in plan.xTicks {
      guard let x = mapping.pageX(tick.value) else { continue }
      canvas.move(to: Point(x, rect.maxY))
      canvas.line(to: Point(x, rect.maxY + theme.tickLength * (tick.isMajor ? 1 : 0.55)))
    }
    canvas.stroke()
    canvas.setColor(theme.textColor)
    canvas.setFont(size: theme.tickLabelSize)
    if plan.showsYTickLabels {
      for tick in plan.yTicks where tick.isMajor && !tick.label.isEmpty {
        guard let y = mapping.pageY(tick.value) else { continue }
        canvas.drawText(
          tick.label, at: Point(rect.minX - theme.tickLength - 2.5, y), horizontal: .right, vertical: .center,
          size: theme.tickLabelSize)
      }
    }
    if plan.showsXTickLabels {
      for tick in plan.xTicks where tick.isMajor && !tick.label.isEmpty {
        guard let x = mapping.pageX(tick.value) else { continue }
        canvas.drawText(
          tick.label, at: Point(x, rect.maxY + theme.tickLength + 2.5), horizontal: .center, vertical: .top,
          size: theme.tickLabelSize)
      }
    }
    canvas.setFont(size: theme.labelSize)
    if let label = panel.x.label, panel.x.isVisible, plan.showsXTickLabels {
      canvas.drawText(
        label, at: Point(rect.midX, rect.maxY + rowBottom), horizontal: .center, vertical: .bottom,
        size: theme.labelSize)
    }
    if let label = panel.y.label, panel.y.isVisible, plan.showsYTickLabels {
      canvas.drawText(
        label, at: Point(rect.minX - columnLeft, rect.midY), horizontal: .center, vertical: .top,
        rotation: -Double.pi / 2, size: theme.labelSize)
    }
    // The panel label sits at the left edge of the panel; a title that would run into
    // it moves right.
    var labelEnd = -Double.infinity
    if figure.panelLabels {
      let index = figure.panels[..<(plan.row * figure.columns + plan.column)].filter { !$0.isBlank }.count
      let label = "(\(Character(UnicodeScalar(UInt8(97 + index % 26)))))"
      canvas.setFont(size: theme.panelLabelSize, bold: true)
      let start = rect.minX - columnLeft
      canvas.drawText(
        label, at: Point(start, rect.minY - 4), horizontal: .left, vertical: .baseline, size: theme.panelLabelSize)
      labelEnd = start + canvas.textWidth(label)
    }
    if let title = panel.title {
      canvas.setFont(size: theme.titleSize)
      let width = canvas.textWidth(title)
      let left = max(rect.midX - width / 2, labelEnd + 4)
      canvas.drawText(
        title, at: Point(left, rect.minY - 4), horizontal: .left, vertical: .baseline, size: theme.titleSize)
    }
  }
}
