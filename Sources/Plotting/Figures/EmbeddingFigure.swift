/// A 2-D embedding (t-SNE) of labelled points.
public struct Embedding: Sendable {
  /// First embedding coordinate of each point.
  public var x: [Double]
  /// Second embedding coordinate of each point.
  public var y: [Double]
  /// Class of each point (0-based).
  public var labels: [Int]
  /// Panel title, such as the run's name.
  public var title: String?

  public init(x: [Double], y: [Double], labels: [Int], title: String? = nil) {
    self.x = x
    self.y = y
    self.labels = labels
    self.title = title
  }

  /// From a row-major [N, 2] array, as `analysis/tsne-<tag>.npy` stores it.
  public init(points: [Float], labels: [Int], title: String? = nil) throws(PlotError) {
    guard points.count % 2 == 0 else { throw PlotError("embedding has \(points.count) values, not N x 2") }
    self.init(
      x: stride(from: 0, to: points.count, by: 2).map { Double(points[$0]) },
      y: stride(from: 1, to: points.count, by: 2).map { Double(points[$0]) }, labels: labels, title: title)
  }
}

/// The t-SNE figure (spec §6): points coloured by class, no ticks (t-SNE coordinates mean
/// nothing), equal aspect, the legend outside; several embeddings side by side share the
/// class colours and one legend.
public enum EmbeddingFigure {
  /// One panel per embedding; `classNames` label the legend by class index.
  public static func make(
    _ embeddings: [Embedding], classNames: [String]? = nil, style: FigureStyle = FigureStyle()
  ) throws(PlotError) -> Figure {
    guard !embeddings.isEmpty else { throw PlotError.empty("list of embeddings") }
    var panels = [Panel]()
    var classes = Set<Int>()
    for embedding in embeddings {
      let name = embedding.title.map { "embedding '\($0)'" } ?? "embedding"
      guard !embedding.x.isEmpty else { throw PlotError.empty(name) }
      guard embedding.x.count == embedding.y.count, embedding.labels.count == embedding.x.count else {
        throw PlotError("\(name): \(embedding.x.count) points but \(embedding.labels.count) labels")
      }
      if let negative = embedding.labels.first(where: { $0 < 0 }) {
        throw PlotError("\(name): class labels must be ≥ 0, found \(negative)")
      }
      classes.formUnion(embedding.labels)
      var scatter = Scatter(x: embedding.x, y: embedding.y, classes: embedding.labels, classNames: classNames)
      let count = Double(embedding.x.count)
      let panelWidth = style.width / Double(embeddings.count)
      // Smaller, lighter points as they get denser, so clusters keep their shape.
      scatter.markerSize = min(max(2.2 * (panelWidth / 3.5) * (5000 / count).squareRoot(), 0.7), 3)
      scatter.alpha = count > 20_000 ? 0.5 : 0.7
      var panel = Panel(title: embedding.title, x: .hidden, y: .hidden, layers: [.scatter(scatter)])
      panel.equalAspect = true
      panel.framed = true
      panel.x.margin = 0.03
      panel.y.margin = 0.03
      panel.legend = embeddings.count == 1 && classes.count <= 30 ? .outside : .none
      panels.append(panel)
    }
    try checkClassNames(classNames, covering: classes)
    let columns = embeddings.count
    let legendRows = Double((classes.count + 4) / 5)
    let height =
      columns == 1 ? style.width * 0.78 : style.width / Double(columns) * 0.95 + 0.12 * legendRows + 0.2
    var figure = style.figure(height: height, rows: 1, columns: columns, panels: panels)
    if columns > 1 && classes.count <= 30 {
      let palette = style.theme.palette
      let entries = classes.sorted().map { index in
        LegendEntry(
          classNames.flatMap { index < $0.count ? $0[index] : nil } ?? "\(index)",
          .marker(Palette.color(index, of: palette), .circle))
      }
      figure.legend = FigureLegend(entries: entries, position: .bottom)
    }
    return figure
  }
}
