import ArgumentParser
import Engine
import Foundation
import Plotting
import RunFormat

/// `clens plot tsne`: t-SNE embeddings coloured by class.
struct PlotTSNECommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tsne",
    abstract: "Draw t-SNE embeddings coloured by class; several are drawn side by side with shared colours.",
    discussion: """
      Reads analysis/tsne-<tag>.npy ([N, 2]) and features/<tag>.labels.npy from each run directory, \
      or embedding files given directly (with --labels).
      """
  )

  @Argument(help: "Run directories or embedding .npy files ([N, 2]).")
  var inputs: [String] = []

  @Option(parsing: .upToNextOption, help: "Two runs (or embedding files) side by side, e.g. CE-tuning and Core-tuning.")
  var compare: [String] = []

  @Option(help: "Which embedding of a run (analysis/tsne-<tag>.npy); needed when a run has several.")
  var tag: String?

  @Option(help: "Labels .npy ([N] integers) for each embedding file given directly, in order.")
  var labels: [String] = []

  @Option(help: "Panel titles in input order, comma-separated. (default: run directory names)")
  var names: String?

  @Option(help: "Legend names of the classes, comma-separated, by label value. (default: the run's, from its config.json)")
  var classNames: String?

  @Option(
    help:
      "Output path without extension; a .png, .pdf or .svg name picks that format. (default: <run>/figures/tsne-<tag> for one run, ./figures/tsne-A-vs-B for several)")
  var out: String?

  @OptionGroup var common: PlotRunOptions

  @OptionGroup var output: FigureOutputOptions

  func run() throws {
    let style = output.style(threads: common.threadCount)
    let all = try PlotInputs.combine(inputs, compare: compare)
    var embeddings = [Embedding]()
    var files = [String]()
    var tags = [String]()
    var notes = [String: Double]()
    var labelFiles = labels[...]
    for input in all {
      if PlotInputs.isDirectory(input) {
        let run = try RunDirectory(input)
        let chosen = try run.chooseTag(tag, from: run.tsneTags, what: "t-SNE embedding (analysis/tsne-<tag>.npy)")
        embeddings.append(try run.embedding(tag: chosen))
        for (key, value) in try run.tsneReport(chosen)?.notes ?? [:] {
          notes["\(embeddings.count - 1).\(key)"] = value
        }
        files += [run.tsneEmbedding(chosen), run.features(chosen).labels]
        tags.append(chosen)
      } else {
        let labelsPath = try labelFiles.popFirst() ?? labelsBeside(input)
        let points = try RunFiles.readMatrix(input, columns: 2)
        let classes = try RunFiles.readLabels(labelsPath)
        guard classes.count == points.rows else {
          throw FileError(labelsPath, "\(classes.count) labels for the \(points.rows) points of \(input)")
        }
        embeddings.append(try Embedding(points: points.values, labels: classes, title: PlotInputs.name(ofFile: input)))
        files += [input, labelsPath]
        tags.append(URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent)
      }
    }
    guard labelFiles.isEmpty else { throw ValidationError("more --labels files than embedding files") }
    let titles = try PlotInputs.names(names, count: all.count, inferred: embeddings.map { $0.title ?? "" })
    for index in embeddings.indices { embeddings[index].title = all.count > 1 ? titles[index] : nil }
    var figure = try EmbeddingFigure.make(
      embeddings, classNames: try PlotInputs.classNames(classNames, inputs: all), style: style)
    figure.notes = notes
    let name = all.count == 1 ? "tsne-\(tags[0])" : "tsne-" + titles.joined(separator: "-vs-")
    let written = try output.write(
      figure, out: out, defaultStem: PlotInputs.defaultStem(runs: all, name: name), inputs: files)
    try output.report([("tsne", written)], json: common.json)
  }

  /// The labels of `<run>/analysis/tsne-<tag>.npy` are `<run>/features/<tag>.labels.npy`.
  private func labelsBeside(_ embedding: String) throws -> String {
    let url = URL(fileURLWithPath: embedding)
    let stem = url.deletingPathExtension().lastPathComponent
    let folder = url.deletingLastPathComponent()
    if folder.lastPathComponent == "analysis", stem.hasPrefix("tsne-") {
      let run = RunDirectory(unchecked: folder.deletingLastPathComponent().path)
      let candidate = run.features(String(stem.dropFirst(5))).labels
      if FileManager.default.fileExists(atPath: candidate) { return candidate }
    }
    throw ValidationError("\(embedding): give its class labels with --labels L.npy")
  }
}
