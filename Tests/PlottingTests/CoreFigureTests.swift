import Engine
import Foundation
import TestSupport
import Testing

@testable import Plotting

/// The figure library's building blocks: layers, axes, legends, layout and bad input.
@Suite struct CoreFigureTests {
  func figure(_ panels: [Panel], rows: Int = 1, columns: Int = 1, width: Double = 3.5, height: Double = 2.4) -> Figure {
    var figure = Figure(width: width, height: height, rows: rows, columns: columns, panels: panels)
    figure.dpi = 100
    return figure
  }

  @Test func heatmapCellsTakeTheirColourMapColour() throws {
    // 4 x 3 cells, value = column index; row 0 at the bottom.
    let values = (0..<12).map { Double($0 % 4) }
    var panel = Panel(x: Axis("x"), y: Axis("y"))
    panel.add(
      .heatmap(Heatmap(values: values, rows: 3, columns: 4, xRange: 0...4, yRange: 0...3, colorbarLabel: "value")))
    let (png, image) = try RenderChecks.checkAllFormats(figure([panel]), texts: ["value", "x", "y"])
    for column in 0..<4 {
      let expected = Colormap.viridis.color(at: Double(column) / 3)
      #expect(
        image.hasColor(
          near: png.location(panel: 0, x: Double(column) + 0.5, y: 1.5)!, radius: 0, expected, tolerance: 6))
    }
  }

  @Test func histogramBarsStandOnZero() throws {
    let histogram = Histogram([0.1, 0.2, 0.25, 0.7, 0.8], bins: 4, range: 0...1)
    #expect(histogram.counts == [2, 1, 1, 1])
    var panel = Panel(x: Axis("score"), y: Axis("count"))
    panel.add(
      .bars(Bars(edges: histogram.edges, heights: histogram.counts, color: Palette.okabeIto[2], label: "scores")))
    let (png, image) = try RenderChecks.checkAllFormats(figure([panel]), texts: ["scores", "count"])
    // The y axis starts at the bars' base, not below it.
    #expect(abs(png.location(panel: 0, x: 0.5, y: 0)!.y - png.plotAreas[0].maxY * png.unitsPerPoint) < 0.5)
    // The outline of the tallest bar is drawn at height 2.
    #expect(image.hasColor(near: png.location(panel: 0, x: 0.125, y: 2)!, radius: 1, Palette.okabeIto[2]))
  }

  @Test func logAxisSkipsAndCountsValuesAtOrBelowZero() throws {
    var panel = Panel(x: Axis("step"), y: Axis("loss", scale: .log))
    panel.add(.line(Line(x: [1, 2, 3, 4, 5], y: [1, 0.1, 0, -1, 0.001], color: Palette.okabeIto[0])))
    let rendered = try figure([panel]).render(.png)
    #expect(rendered.report.skippedNonPositive == 2)
    #expect(rendered.report.skippedNonFinite == 0)
    #expect(rendered.report.warnings.count == 1)
    let text = try RenderChecks.pdfText(figure([panel]).render(.pdf).bytes)
    #expect(text.contains("10⁻²") || text.contains("10−2") || text.contains("10-2"))
  }

  @Test func nonFiniteValuesAreSkippedCountedAndTheRestDrawn() throws {
    var panel = Panel(x: Axis("x"), y: Axis("y"))
    panel.add(
      .line(Line(x: [0, 1, 2, 3, 4], y: [0, .nan, 2, .infinity, 4], color: Palette.okabeIto[3], marker: .circle)))
    panel.add(.scatter(Scatter(x: [0, .nan, 4], y: [4, 1, .nan])))
    let (png, image) = try RenderChecks.checkAllFormats(figure([panel]), texts: ["x", "y"])
    #expect(png.report.skippedNonFinite == 4)
    #expect(png.report.warnings == ["panel 1: skipped 4 NaN or infinite values"])
    #expect(image.hasColor(near: png.location(panel: 0, x: 2, y: 2)!, radius: 2, Palette.okabeIto[3]))
  }

  @Test func emptyOrAllNaNDataIsAClearError() throws {
    var panel = Panel(title: "loss")
    panel.add(.line(Line(x: [1, 2], y: [.nan, .nan], color: Palette.okabeIto[0])))
    #expect(throws: PlotError("panel 'loss', x axis: no finite data to plot")) { try figure([panel]).render(.png) }
    #expect(throws: PlotError("list of embeddings is empty: nothing to plot")) { try EmbeddingFigure.make([]) }
    #expect(throws: PlotError("embedding is empty: nothing to plot")) {
      try EmbeddingFigure.make([Embedding(x: [], y: [], labels: [])])
    }
    #expect(throws: PlotError("figure is empty: nothing to plot")) { try figure([]).render(.pdf) }
    #expect(throws: PlotError.self) { try TrainingFigure.make([TrainingLog(name: "a", records: [])]) }
  }

  @Test func unwritablePathsAreFileErrors() throws {
    let directory = TemporaryDirectory()
    var panel = Panel()
    panel.add(.line(Line(x: [0, 1], y: [0, 1], color: Palette.okabeIto[0])))
    let blocker = directory.file("not-a-directory")
    try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
    #expect(throws: FileError.self) { try figure([panel]).write(to: blocker + "/figure.png") }
    #expect(
      throws: FileError(directory.file("figure.gif"), "unknown figure format: use a .png, .pdf or .svg file name")
    ) {
      try figure([panel]).write(to: directory.file("figure.gif"))
    }
    let written = directory.file("sub/figure.svg")
    try figure([panel]).write(to: written)
    #expect(RenderChecks.isSVG(Array(try Data(contentsOf: URL(fileURLWithPath: written)))))
  }

  @Test func tooSmallAFigureSaysSo() {
    var panel = Panel(x: Axis("a long x label"), y: Axis("a long y label"))
    panel.add(.line(Line(x: [0, 1], y: [0, 1], color: Palette.okabeIto[0])))
    #expect(throws: PlotError.self) {
      try figure([panel, panel, panel, panel], rows: 4, columns: 1, width: 1, height: 1).render(.png)
    }
  }

  @Test func legendAvoidsTheData() throws {
    // A diagonal from the lower left to the upper right leaves the other corners free.
    var panel = Panel(x: Axis("x"), y: Axis("y"))
    let xs = (0...50).map { Double($0) / 5 }
    panel.add(.line(Line(x: xs, y: xs, color: Palette.okabeIto[0], label: "first series")))
    panel.add(.line(Line(x: xs, y: xs.map { $0 * 0.9 }, color: Palette.okabeIto[1], label: "second series")))
    let (png, image) = try RenderChecks.checkAllFormats(figure([panel]), texts: ["first series", "second series"])
    for x in stride(from: 2.5, through: 9.5, by: 1.0) {
      #expect(image.hasColor(near: png.location(panel: 0, x: x, y: x)!, radius: 1, Palette.okabeIto[0]))
    }
    // The legend went inside: the plot area keeps the page's width.
    #expect(png.plotAreas[0].width > 3.5 * 72 * 0.75)
  }

  @Test func legendGoesOutsideWhenDataFillThePanel() throws {
    var panel = Panel(x: Axis("x"), y: Axis("y"))
    var xs = [Double](), ys = [Double]()
    for i in 0..<40 { for j in 0..<40 { xs.append(Double(i)); ys.append(Double(j)) } }
    var scatter = Scatter(x: xs, y: ys, classes: xs.map { Int($0) % 2 }, classNames: ["even", "odd"])
    scatter.markerSize = 3
    scatter.alpha = 1
    panel.add(.scatter(scatter))
    let (png, image) = try RenderChecks.checkAllFormats(figure([panel]), texts: ["even", "odd"])
    let rect = png.plotAreas[0]
    #expect(rect.width < 3.5 * 72 * 0.8)
    // Every corner point is still visible.
    for (x, y) in [(0.0, 0.0), (0, 39), (39, 0), (39, 39)] {
      #expect(
        image.hasColor(
          near: png.location(panel: 0, x: x, y: y)!, radius: 1, Palette.okabeIto[Int(x) % 2], tolerance: 80))
    }
  }

  @Test func sharedAxesLineUpAndEqualAspectKeepsCirclesRound() throws {
    var top = Panel(x: Axis("x"), y: Axis("top"))
    top.add(.line(Line(x: [0, 10], y: [0, 1], color: Palette.okabeIto[0])))
    var bottom = Panel(x: Axis("x"), y: Axis("bottom"))
    bottom.add(.line(Line(x: [-5, 3], y: [0, 1], color: Palette.okabeIto[0])))
    var shared = figure([top, bottom], rows: 2, columns: 1, height: 3.5)
    shared.sharedX = true
    let rendered = try shared.render(.png)
    #expect(abs(rendered.location(panel: 0, x: 7, y: 0)!.x - rendered.location(panel: 1, x: 7, y: 0)!.x) < 1e-9)

    var circle = Panel(x: .hidden, y: .hidden, layers: [.circle(CircleGuide())])
    circle.equalAspect = true
    let round = try figure([circle], width: 4, height: 2).render(.png)
    let centre = round.location(panel: 0, x: 0, y: 0)!
    let right = round.location(panel: 0, x: 1, y: 0)!, up = round.location(panel: 0, x: 0, y: 1)!
    #expect(abs((right.x - centre.x) - (centre.y - up.y)) < 1e-6)
  }

  @Test func textIsDejaVuSansEmbeddedAsTrueType() throws {
    let match = try run("/usr/bin/fc-match", ["DejaVu Sans"])
    #expect(match.contains("DejaVuSans.ttf"), "fonts-dejavu-core is not installed: \(match)")
    var panel = Panel(title: "title", x: Axis("ε (ℓ∞)"), y: Axis("accuracy"))
    panel.add(.line(Line(x: [0, 1], y: [0, 1], color: Palette.okabeIto[0], label: "é≈μ")))
    let directory = TemporaryDirectory()
    let path = directory.file("fonts.pdf")
    try figure([panel]).write(to: path)
    let fonts = try run("/usr/bin/pdffonts", [path])
    let rows = fonts.split(separator: "\n").filter { $0.contains("DejaVuSans") }
    #expect(!rows.isEmpty, "\(fonts)")
    #expect(rows.allSatisfy { $0.contains("TrueType") && $0.contains(" yes yes ") })
    let text = try RenderChecks.pdfText(Array(Data(contentsOf: URL(fileURLWithPath: path))))
    #expect(text.contains("é≈μ") && text.contains("ε (ℓ∞)"))
  }

  @Test func panelLabelsSkipBlankCells() throws {
    var panel = Panel(x: Axis("x"), y: Axis("y"))
    panel.add(.line(Line(x: [0, 1], y: [0, 1], color: Palette.okabeIto[0])))
    var grid = figure([panel, .blank, panel], rows: 1, columns: 3, width: 7)
    grid.panelLabels = true
    let text = try RenderChecks.pdfText(grid.render(.pdf).bytes)
    #expect(text.contains("(a)") && text.contains("(b)") && !text.contains("(c)"))
  }

  private func run(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
  }
}
