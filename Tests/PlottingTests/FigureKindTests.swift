import Engine
import Foundation
import RunFormat
import Testing

@testable import Plotting

/// Every ready-made figure renders in all three formats, deterministically, with its
/// labels as PDF text and data-coloured pixels where its data are.
@Suite struct FigureKindTests {
  let style = FigureStyle(width: FigureWidth.singleColumn, dpi: 120)

  /// Two tight clusters, class 0 at (−5, 0) and class 1 at (5, 0).
  func clusters(_ count: Int) -> Embedding {
    var x = [Double](), y = [Double](), labels = [Int]()
    for i in 0..<count {
      let label = i % 2
      x.append((label == 0 ? -5 : 5) + 0.2 * sin(Double(i)))
      y.append(0.2 * cos(Double(i) * 1.3))
      labels.append(label)
    }
    return Embedding(x: x, y: y, labels: labels, title: "run A")
  }

  @Test func embeddingShowsClassColoursAndLegend() throws {
    let figure = try EmbeddingFigure.make([clusters(400)], classNames: ["Trouser", "Sneaker"], style: style)
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["Trouser", "Sneaker"])
    let blue = Palette.okabeIto[0], orange = Palette.okabeIto[1]
    #expect(image.hasColor(near: png.location(panel: 0, x: -5, y: 0)!, radius: 3, blue))
    #expect(image.hasColor(near: png.location(panel: 0, x: 5, y: 0)!, radius: 3, orange))
    // Half-way between the clusters there is only background.
    #expect(!image.hasColor(near: png.location(panel: 0, x: 0, y: 0)!, radius: 3, blue))
  }

  @Test func embeddingsSideBySideShareColoursAndOneLegend() throws {
    var second = clusters(300)
    second.title = "run B"
    second.labels = second.labels.map { 1 - $0 }
    let figure = try EmbeddingFigure.make([clusters(300), second], style: style)
    #expect(figure.legend?.entries.map(\.label) == ["0", "1"])
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["run A", "run B"])
    // Class 0 keeps its colour in both panels, wherever it lies.
    #expect(image.hasColor(near: png.location(panel: 0, x: -5, y: 0)!, radius: 3, Palette.okabeIto[0]))
    #expect(image.hasColor(near: png.location(panel: 1, x: 5, y: 0)!, radius: 3, Palette.okabeIto[0]))
  }

  @Test func threadsDoNotChangeTheOutput() throws {
    var figure = try EmbeddingFigure.make([clusters(30_000)], style: style)
    let one = try figure.render(.png).bytes
    let onePDF = try figure.render(.pdf).bytes
    figure.threads = ThreadCount(3)
    #expect(try figure.render(.png).bytes == one)
    #expect(try figure.render(.pdf).bytes == onePDF)
  }

  @Test func denseEmbeddingIsAnImageInsideAVectorPDF() throws {
    let dense = try EmbeddingFigure.make([clusters(20_000)], style: style).render(.pdf)
    let sparse = try EmbeddingFigure.make([clusters(2_000)], style: style).render(.pdf)
    let denseText = String(decoding: dense.bytes, as: UTF8.self)
    #expect(denseText.contains("/Subtype /Image"))
    #expect(!String(decoding: sparse.bytes, as: UTF8.self).contains("/Subtype /Image"))
    // Ten times the points, but the image keeps the file about the same size.
    #expect(dense.bytes.count < sparse.bytes.count * 3)
  }

  @Test func robustnessCurvesMarkCleanAccuracy() throws {
    let eps: [Double] = [0, 2.0 / 255, 4.0 / 255, 8.0 / 255]
    let curves = [
      RobustnessCurve(
        name: "CE-tuning", norm: .linf, eps: eps, robustAccuracy: [0.9, 0.5, 0.2, 0.05], cleanAccuracy: 0.9),
      RobustnessCurve(
        name: "Core-tuning", norm: .linf, eps: eps, robustAccuracy: [0.92, 0.6, 0.3, 0.1], cleanAccuracy: 0.92),
      RobustnessCurve(name: "CE-tuning", norm: .l2, eps: [0.25, 0.5], robustAccuracy: [0.6, 0.3], cleanAccuracy: 0.9),
    ]
    let figure = try RobustnessFigure.make(curves, style: style)
    let (png, image) = try RenderChecks.checkAllFormats(
      figure, texts: ["CE-tuning", "Core-tuning", "clean accuracy", "accuracy (%)", "1/255"])
    // Fractions are drawn in percent: the ε = 2/255 point of Core-tuning at 60 %.
    #expect(image.hasColor(near: png.location(panel: 0, x: 2, y: 60)!, radius: 2, Palette.okabeIto[1]))
    // The l2 curve has no ε = 0 point: its clean accuracy is marked there.
    #expect(image.hasColor(near: png.location(panel: 1, x: 0, y: 90)!, radius: 3, Palette.okabeIto[0]))
    // ... and the curve starts there: the segment to ε = 0.25 passes through (0.125, 75).
    #expect(image.hasColor(near: png.location(panel: 1, x: 0.125, y: 75)!, radius: 2, Palette.okabeIto[0]))
  }

  /// A report's 95 % interval is drawn as a band around its curve, and the title says
  /// which attack and how many examples.
  @Test func robustnessCurvesDrawTheirIntervalsAndNameTheAttack() throws {
    let curve = RobustnessCurve(
      name: "Core-tuning", norm: .l2, eps: [0.5, 1.5], robustAccuracy: [0.6, 0.3], cleanAccuracy: 0.9,
      interval: [[0.4, 0.8], [0.1, 0.5]], attack: "PGD-10", images: 300)
    let figure = try RobustnessFigure.make([curve], style: style)
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["Core-tuning", "ℓ₂ PGD-10, n = 300", "95 % interval"])
    // Inside the band (ε 0.5, 72 %) the curve's colour shows faintly; below it (ε 1, 12 %) it does not.
    let blue = Palette.okabeIto[0]
    let faint = Color(red: 0.2 * blue.red + 0.8, green: 0.2 * blue.green + 0.8, blue: 0.2 * blue.blue + 0.8)
    let inside = png.location(panel: 0, x: 0.5, y: 72)!, outside = png.location(panel: 0, x: 1.0, y: 12)!
    #expect(image.hasColor(near: inside, radius: 1, faint, tolerance: 20))
    #expect(!image.hasColor(near: outside, radius: 1, faint, tolerance: 20))
    #expect(throws: PlotError.self) {
      var broken = curve
      broken.interval = [[0.4, 0.8]]
      return try RobustnessFigure.make([broken], style: style)
    }
  }

  /// PGD and AutoAttack curves of one model share the axes, each named by its attack and
  /// drawn with its own interval band.
  @Test func pgdAndAutoAttackCurvesOfOneModelAreDrawnTogether() throws {
    func report(_ name: String, robust: [Double], version: String?) -> RobustnessReport {
      let attack = RobustnessReport.AttackRecord(
        name: name, loss: "x", steps: 20, stepSize: nil, stepSizeFactor: 2.5, restarts: 1, randomStart: "x",
        earlyExit: false, seed: 0, batchSize: 100, checkExamples: 200, noiseDraws: 8, squareQueries: nil,
        version: version)
      return RobustnessReport(
        norm: .linf, attack: attack, n: 200, cleanAccuracy: 0.9, eps: [2 / 255, 8 / 255], robustAccuracy: robust,
        robustAccuracyEnvelope: robust, robustAccuracyCi95: robust.map { [$0 - 0.05, $0 + 0.05] },
        perClassRobustAccuracy: [], perClassCleanAccuracy: [], classCounts: [], sanityChecks: [])
    }
    let both = [
      report("pgd", robust: [0.7, 0.4], version: nil), report("autoattack", robust: [0.6, 0.2], version: "standard"),
    ]
    #expect(RobustnessReport.curves(both, name: "CE").map(\.name) == ["CE, PGD-20", "CE, AutoAttack"])
    #expect(RobustnessReport.curves([both[0]], name: "CE").map(\.name) == ["CE"])
    let curves = RobustnessReport.curves(both, name: "CE-tuning", alone: true)
    #expect(curves.map(\.name) == ["PGD-20", "AutoAttack"])
    #expect(curves.allSatisfy { $0.interval?.count == 2 })
    let figure = try RobustnessFigure.make(curves, style: style)
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["PGD-20", "AutoAttack", "95 % interval"])
    // Each curve passes through its own point at 8/255: PGD at 40 %, AutoAttack at 20 %.
    #expect(image.hasColor(near: png.location(panel: 0, x: 8, y: 40)!, radius: 2, Palette.okabeIto[0]))
    #expect(image.hasColor(near: png.location(panel: 0, x: 8, y: 20)!, radius: 2, Palette.okabeIto[1]))
  }

  /// A run-directory name longer than the page is shortened in the middle (its start
  /// and its distinguishing end stay) instead of squeezing the panels out.
  @Test func longLegendNamesAreShortenedInTheMiddle() throws {
    let name = "core-tuning-resnet18-fashion-mnist-batch256-epochs200-mixup-hard-pair-mining-seed0-lr0.01"
    let curves = [PerturbationNorm.linf, .l2].map {
      RobustnessCurve(name: name, norm: $0, eps: [0.5, 1.5], robustAccuracy: [0.6, 0.3], cleanAccuracy: 0.9)
    }
    let figure = try RobustnessFigure.make(curves, style: style)
    try RenderChecks.checkAllFormats(figure, texts: ["core-tun", "lr0.01"])
    let text = try RenderChecks.pdfText(figure.render(.pdf).bytes)
    #expect(text.contains("…"))
    #expect(!text.contains(name))
  }

  /// A figure title wider than the page is set smaller and then shortened, never clipped.
  @Test func longTitlesFitThePage() throws {
    let curves = [RobustnessCurve(name: "run", norm: .l2, eps: [0.5, 1.5], robustAccuracy: [0.6, 0.3], cleanAccuracy: 0.9)]
    var figure = try RobustnessFigure.make(curves, style: style)
    figure.title = "pixels, simclr views: alignment 0.577, uniformity -1.238"  // set smaller, whole
    try RenderChecks.checkAllFormats(figure, texts: ["pixels, simclr views: alignment 0.577, uniformity -1.238"])
    figure.title = String(repeating: "a very long title ", count: 20) + "END"
    let text = try RenderChecks.pdfText(figure.render(.pdf).bytes)
    #expect(text.contains("a very long") && text.contains("…") && text.contains("END"))
  }

  /// Two long names that differ only in the middle keep enough of it to stay apart.
  @Test func shortenedLegendNamesStayDistinct() throws {
    let names = ["resnet18", "resnet50"].map { "core-tuning-\($0)-fashion-mnist-batch256-epochs200-mixup-seed0-lr0.01" }
    let curves = names.map {
      RobustnessCurve(name: $0, norm: .linf, eps: [0.5, 1.5], robustAccuracy: [0.6, 0.3], cleanAccuracy: 0.9)
    }
    let text = try RenderChecks.pdfText(RobustnessFigure.make(curves, style: style).render(.pdf).bytes)
    let shortened = Set(text.split(separator: "\n").filter { $0.contains("…") })
    #expect(shortened.count == 2, "legend lines: \(shortened)")
  }

  func trainingLog(_ name: String, scale: Double) -> TrainingLog {
    TrainingLog(
      name: name,
      records: (0..<200).map { (step: Int) -> MetricsRecord in
        let t = Double(step)
        let decay: Double = exp(-t / 50)
        let accuracy: Double = 1 - exp(-t / 40)
        return MetricsRecord(
          step: step * 10, epoch: t / 20, loss: scale * (2 * decay + 0.2), learningRate: 0.1 * (1 - t / 200),
          accuracy: accuracy, lossParts: ["ce": scale * 2 * decay, "con": 0.2])
      })
  }

  @Test func trainingCurvesOfOneRunShowLossParts() throws {
    let figure = try TrainingFigure.make([trainingLog("SimCLR", scale: 1)], style: style)
    #expect(figure.panels.count == 3)
    let (png, image) = try RenderChecks.checkAllFormats(
      figure, texts: ["loss", "accuracy (%)", "learning rate", "step", "ce", "con"])
    #expect(image.hasColor(near: png.location(panel: 2, x: 1000, y: 0.05)!, radius: 2, Palette.okabeIto[0]))
  }

  @Test func trainingCurvesOfTwoRunsShareOneLegend() throws {
    let figure = try TrainingFigure.make(
      [trainingLog("SimCLR", scale: 1), trainingLog("SimCLR+FNC", scale: 0.8)], smoothing: 0.5, logLoss: true,
      style: FigureStyle(width: FigureWidth.doubleColumn, dpi: 100))
    #expect(figure.rows == 1 && figure.columns == 3)
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["SimCLR", "SimCLR+FNC"])
    // The second run's loss at step 1000 is 0.8 · (2e⁻² + 0.2), on a log axis.
    let loss = 0.8 * (2 * exp(-2.0) + 0.2)
    #expect(image.hasColor(near: png.location(panel: 0, x: 1000, y: loss)!, radius: 3, Palette.okabeIto[1]))
  }

  /// Two runs keep their loss parts: dashed in each run's colour, named in the loss legend.
  @Test func trainingCurvesOfTwoRunsKeepTheLossParts() throws {
    let figure = try TrainingFigure.make(
      [trainingLog("CE", scale: 1), trainingLog("Core", scale: 0.8)], style: FigureStyle(width: FigureWidth.doubleColumn, dpi: 100))
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["CE", "Core", "ce", "con"])
    // The second run's "ce" part at step 1000: 0.8 · 2e⁻², in the second run's colour.
    #expect(image.hasColor(near: png.location(panel: 0, x: 1000, y: 0.8 * 2 * exp(-2.0))!, radius: 3, Palette.okabeIto[1]))
  }

  /// Smoothing weighs training steps, not logged points: across a gap of Δ steps it is
  /// the per-step average with the value held over the gap.
  @Test func smoothingIsPerTrainingStep() throws {
    let w = 0.9
    let smoothed = TrainingFigure.exponentialMovingAverage([1, 3, 5], at: [0, 10, 11], weight: w)
    var average = 0.0, correction = 0.0
    var perStep = [Double]()
    for (step, value) in [1.0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 5].enumerated() {
      average = w * average + (1 - w) * value
      correction = w * correction + (1 - w)
      if [0, 10, 11].contains(step) { perStep.append(average / correction) }
    }
    #expect(zip(smoothed, perStep).allSatisfy { abs($0 - $1) < 1e-12 } && smoothed.count == 3, "\(smoothed) vs \(perStep)")
    let gap = TrainingFigure.exponentialMovingAverage([1, .nan, 5], at: [0, 1, 2], weight: w)
    #expect(gap[1].isNaN && gap[2].isFinite)
  }

  /// An FNC run gets a fourth panel: precision and recall of its false negatives.
  @Test func fncRunsShowDetectionPrecisionAndRecall() throws {
    var log = trainingLog("SimCLR+FNC", scale: 1)
    for index in log.records.indices {
      log.records[index].values = ["fnc_precision": 0.4 + 0.4 * Double(index) / 199, "fnc_recall": Double(index) / 199 * 0.3]
    }
    let figure = try TrainingFigure.make([log], style: FigureStyle(width: FigureWidth.doubleColumn, dpi: 100))
    #expect(figure.panels.count == 4)
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["precision", "recall", "false negatives (%)"])
    // Precision at step 1000 (record 100), in percent.
    #expect(
      image.hasColor(near: png.location(panel: 3, x: 1000, y: 40 + 40 * 100 / 199.0)!, radius: 3, Palette.okabeIto[0]))
    #expect(try TrainingFigure.make([trainingLog("SimCLR", scale: 1)], style: style).panels.count == 3)
  }

  func scoreLog(_ name: String) -> ScoreLog {
    let edges = (0...20).map { -1 + Double($0) / 10 }
    return ScoreLog(
      name: name,
      records: (0..<50).map { step in
        let t = Double(step) / 49
        let counts = (0..<20).map { $0 == 14 ? 10.0 : 1.0 }
        return ScoreRecord(
          step: step * 100,
          positive: ScoreStatistics(
            mean: 0.3 + 0.6 * t, variance: 0.01, count: 64, histogram: ScoreHistogram(edges: edges, counts: counts)),
          negative: ScoreStatistics(
            mean: 0, variance: 0.02, count: 4096, histogram: ScoreHistogram(edges: edges, counts: counts)))
      })
  }

  @Test func scoreFigureDrawsMomentsAndChosenSteps() throws {
    let figure = try ScoreFigure.make([scoreLog("MoCo")], steps: [0, 2400, 4900], style: style)
    let (png, image) = try RenderChecks.checkAllFormats(
      figure, texts: ["positive", "negative", "step 0", "step 2400", "step 4900", "cosine similarity"])
    // Mean positive score at the last step, 0.9, on the top panel.
    #expect(image.hasColor(near: png.location(panel: 0, x: 4900, y: 0.9)!, radius: 2, ScoreFigure.positiveColor))
    // The peak of the last positive Gaussian, N(0.9, 0.01), in the darkest shade.
    let peak = 1 / (2 * Double.pi * 0.01).squareRoot()
    #expect(image.hasColor(near: png.location(panel: 1, x: 0.9, y: peak)!, radius: 2, ScoreFigure.positiveColor))
  }

  /// MoCo + FT logs the scores before the transformation too: they are drawn dashed, and
  /// named in the legend.
  @Test func scoresBeforeFeatureTransformationAreDrawnDashed() throws {
    var log = scoreLog("MoCo + FT")
    for index in log.records.indices {
      log.records[index].positiveUntransformed = ScoreStatistics(mean: 0.5, variance: 0.01, count: 64, histogram: nil)
      log.records[index].negativeUntransformed = ScoreStatistics(mean: -0.5, variance: 0.01, count: 4096, histogram: nil)
    }
    let figure = try ScoreFigure.make([log], steps: [0, 4900], style: style)
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["positive before FT", "negative before FT"])
    #expect(image.hasColor(near: png.location(panel: 0, x: 2450, y: -0.5)!, radius: 3, ScoreFigure.negativeColor))
    let plain = try ScoreFigure.make([scoreLog("MoCo")], steps: [0, 4900], style: style)
    let (plainPNG, plainImage) = try RenderChecks.checkAllFormats(plain, texts: ["positive"])
    #expect(!plainImage.hasColor(near: plainPNG.location(panel: 0, x: 2450, y: -0.5)!, radius: 3, ScoreFigure.negativeColor))
  }

  /// MoCo vs MoCo + FT as the FT paper draws them: three panels, the runs overlaid; the
  /// per-anchor variance is drawn when every record has it.
  @Test func overlaidScoreCurvesOfTwoRuns() throws {
    var ft = scoreLog("MoCo + FT")
    for index in ft.records.indices {
      ft.records[index].negative.mean = -0.2
      ft.records[index].negative.anchorVariance = 0.05
    }
    var plain = scoreLog("MoCo")
    for index in plain.records.indices { plain.records[index].negative.anchorVariance = 0.01 }
    let wide = FigureStyle(width: FigureWidth.doubleColumn, dpi: 100)
    let figure = try ScoreFigure.overlay([plain, ft], style: wide)
    #expect(figure.panels.count == 3)
    let (png, image) = try RenderChecks.checkAllFormats(
      figure, texts: ["MoCo", "MoCo + FT", "positive mean", "negative mean", "negative variance"])
    #expect(image.hasColor(near: png.location(panel: 1, x: 2500, y: -0.2)!, radius: 3, Palette.okabeIto[1]))
    #expect(image.hasColor(near: png.location(panel: 2, x: 2500, y: 0.05)!, radius: 3, Palette.okabeIto[1]))
    ft.records[3].negative.anchorVariance = nil
    let fallback = try ScoreFigure.overlay([plain, ft], style: wide)
    try RenderChecks.checkAllFormats(fallback, texts: ["negative variance (all pairs)"])
  }

  @Test func scoreHistogramsSideBySide() throws {
    let figure = try ScoreFigure.make(
      [scoreLog("MoCo"), scoreLog("MoCo + FT")], distribution: .histogram, style: style)
    #expect(figure.rows == 2 && figure.columns == 2)
    try RenderChecks.checkAllFormats(figure, texts: ["MoCo", "MoCo + FT"])
    var missing = scoreLog("bare")
    missing.records[0].positive.histogram = nil
    #expect(throws: PlotError.self) {
      try ScoreFigure.make([missing], steps: [0], distribution: .histogram, style: style)
    }
  }

  @Test func hypersphereOfTwoDimensionalFeatures() throws {
    var values = [Float](), positives = [Float](), labels = [Int]()
    for i in 0..<600 {
      let label = i % 3
      let angle = Double(label) * 2 * Double.pi / 3 + 0.1 * sin(Double(i))
      values += [Float(2 * cos(angle)), Float(2 * sin(angle))]  // not unit length: normalised by the figure
      positives += [Float(cos(angle + 0.05)), Float(sin(angle + 0.05))]
      labels.append(label)
    }
    var set = FeatureSet(name: "probe", values: values, dimension: 2, labels: labels, positives: positives)
    set.alignment = 0.0025
    set.uniformity = -1.2
    let figure = try HypersphereFigure.make([set], classNames: ["a", "b", "c"], style: style)
    #expect(figure.panels.count == 4)
    #expect(figure.notes["0.von_mises_kappa"]! > 1)
    let (png, image) = try RenderChecks.checkAllFormats(
      figure, texts: ["features on S", "angles per class", "alignment 0.003"])
    // Class 1 sits at 120°: its angle density peaks there, in its colour.
    let grid = (0...360).map { -Double.pi + 2 * Double.pi * Double($0) / 360 }
    let angles = (0..<200).map { 2 * Double.pi / 3 + 0.1 * sin(Double($0 * 3 + 1)) }
    let density = try Density.vonMisesKDE(angles, at: grid, concentration: figure.notes["0.von_mises_kappa"]!)
    let top = density.indices.max { density[$0] < density[$1] }!
    #expect(abs(grid[top] - 2 * Double.pi / 3) < 0.1)
    #expect(
      image.hasColor(near: png.location(panel: 3, x: grid[top], y: density[top])!, radius: 3, Palette.okabeIto[1]))
  }

  @Test func hypersphereOfHighDimensionalFeaturesSamplesPairs() throws {
    var values = [Float](), labels = [Int]()
    for i in 0..<500 {
      labels.append(i % 4)
      values += (0..<16).map { k in Float(k == i % 4 ? 3 : 0) + Float(sin(Double(i * 16 + k))) }
    }
    let set = FeatureSet(name: "pixels", values: values, dimension: 16, labels: labels, positives: values)
    let figure = try HypersphereFigure.make([set], seed: 3, style: style)
    #expect(figure.notes["0.pairs"] == Double(HypersphereFigure.pairSample))
    try RenderChecks.checkAllFormats(figure, texts: ["all pairs", "same-class pairs", "positive pairs"])
    // Identical positives: every distance is 0, the mean line says so.
    let text = try RenderChecks.pdfText(figure.render(.pdf).bytes)
    #expect(text.contains("mean 0.00"))
    // The same seed samples the same pairs.
    #expect(try HypersphereFigure.make([set], seed: 3, style: style).render(.png).bytes == figure.render(.png).bytes)
  }

  @Test func hypersphereRowsPerRunShareScales() throws {
    let a = FeatureSet(name: "A", values: (0..<400).map { Float(sin(Double($0))) }, dimension: 4)
    let b = FeatureSet(name: "B", values: (0..<400).map { Float(cos(Double($0) * 0.7)) }, dimension: 4)
    let figure = try HypersphereFigure.make([a, b], style: style)
    #expect(figure.rows == 2 && figure.sameYScaleInColumns)
    try RenderChecks.checkAllFormats(figure, texts: ["A: all pairs", "B: all pairs"])
  }

  /// Several runs: each row names its run once, the other columns are titled in the first
  /// row only, so titles never run into each other.
  @Test func hypersphereRowsTitleTheirColumnsOnce() throws {
    let sets = ["A", "B"].map { name in
      FeatureSet(
        name: name, values: (0..<400).map { Float(sin(Double($0) + Double(name.count))) }, dimension: 4,
        labels: (0..<100).map { $0 % 2 }, positives: (0..<400).map { Float(cos(Double($0))) })
    }
    let figure = try HypersphereFigure.make(sets, style: style)
    #expect(figure.panels.map(\.title) == ["A: all pairs", figure.panels[1].title, "same-class pairs", "B: all pairs", figure.panels[4].title, nil])
    #expect(figure.panels[1].title?.hasPrefix("positive pairs, mean ") == true && figure.panels[4].title?.hasPrefix("mean ") == true)
  }

  /// Cosine axes span [0, 1] when no sampled pair is negative, [-1, 1] otherwise.
  @Test func hypersphereCosineAxesStartAtZeroWhenEveryPairIsPositive() throws {
    let positive = FeatureSet(name: "P", values: (0..<400).map { Float(1.5 + sin(Double($0))) }, dimension: 4)
    let mixed = FeatureSet(name: "M", values: (0..<400).map { Float(sin(Double($0))) }, dimension: 4)
    for (set, lower) in [(positive, 0.0), (mixed, -1.0)] {
      let figure = try HypersphereFigure.make([set], style: style)
      #expect(figure.panels[0].x.lower == lower, "\(set.name)")
    }
  }


  @Test func alignUniformPlaneNamesEveryRun() throws {
    let figure = try AlignUniformPlaneFigure.make(
      [
        AlignUniformPoint(name: "SimCLR", alignment: 0.45, uniformity: -3.4),
        AlignUniformPoint(name: "random", alignment: 0.1, uniformity: -0.8),
      ], style: style)
    let (png, image) = try RenderChecks.checkAllFormats(figure, texts: ["SimCLR", "random", "alignment", "uniformity"])
    #expect(image.hasColor(near: png.location(panel: 0, x: 0.45, y: -3.4)!, radius: 1, Palette.okabeIto[0]))
    #expect(image.hasColor(near: png.location(panel: 0, x: 0.1, y: -0.8)!, radius: 1, Palette.okabeIto[1]))
  }
}
