import Engine
import Foundation
import Plotting

/// The figures of Benchmarks/peers/bench_plot.py drawn with Plotting: a 70,000-point
/// 10-class scatter with legend at 1600x1200 (8 x 6 in, 200 dpi) to PNG and PDF, and a
/// 2 x 2 panel line figure with ±std bands. Each timing covers building the figure,
/// rendering and writing the file; median and minimum over `--repeats` runs after one
/// warm-up, as the peer does.
///
/// `clens-bench plot [--points N] [--repeats R] [--outdir DIR] [--threads T] [--embedding E.npy --labels L.npy]
///                   [--once scatter-png|scatter-pdf|lines4-png|lines4-pdf]`
/// `--once` draws one figure once and exits: the whole-process measurement.
enum PlotBench {
  static func main(_ arguments: [String]) {
    let options = BenchOptions(arguments)
    let points = options["points", default: 70_000]
    let repeats = options["repeats", default: 5]
    let outdir = options["outdir", default: "bench-results/plot"]
    let threads = ThreadCount(options["threads", default: ThreadCount.available.value])
    do {
      let (x, y, labels) = try scatterData(
        points: points, embedding: options["embedding"], labelsPath: options["labels"])
      let scatter = scatterFigure(x: x, y: y, labels: labels, threads: threads)
      let lines = linesFigure(threads: threads)
      if let once = options["once"] {
        let parts = once.split(separator: "-").map(String.init)
        guard parts.count == 2, ["scatter", "lines4"].contains(parts[0]), let format = OutputFormat(rawValue: parts[1])
        else {
          print("unknown --once \(once)")
          exit(2)
        }
        try (parts[0] == "scatter" ? scatter : lines).write(to: "\(outdir)/\(parts[0]).\(format.rawValue)")
        return
      }
      print(
        "# clens-bench plot: \(x.count) points, \(Set(labels).count) classes, repeats \(repeats), threads \(threads.value)"
      )
      for (name, figure) in [("scatter", scatter), ("lines4", lines)] {
        for format in [OutputFormat.png, .pdf] {
          let path = "\(outdir)/\(name).\(format.rawValue)"
          try figure.write(to: path)  // warm-up: font loading, first-use caches
          var times = [Double](), cpuTimes = [Double]()
          for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = cpuSeconds()
            // Building the figure is part of the job, as in the peer.
            let built =
              name == "scatter"
              ? scatterFigure(x: x, y: y, labels: labels, threads: threads) : linesFigure(threads: threads)
            try built.write(to: path)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpuTimes.append(cpuSeconds() - cpuStart)
          }
          let tag =
            name == "scatter"
            ? "plot_scatter_\(x.count)pts_\(format.rawValue)" : "plot_lines_4panel_4x200_\(format.rawValue)"
          let sorted = times.sorted()
          print("\(tag)_seconds_median: \(String(format: "%.4f", sorted[sorted.count / 2])) s")
          print("\(tag)_seconds_min: \(String(format: "%.4f", sorted[0])) s")
          // CPU time is steadier than wall time on a shared machine.
          print("\(tag)_cpu_seconds_min: \(String(format: "%.4f", cpuTimes.min()!)) s")
          let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
          print("\(tag)_bytes: \(size) bytes")
        }
      }
    } catch {
      print("error: \(error)")
      exit(1)
    }
  }

  /// The peer's blobs (10 centres ~ N(0, 10), points ~ N(centre, 1.5)) from our seeded
  /// generator, or a saved embedding so both tools draw identical points.
  /// User plus system CPU time of this process so far.
  static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
  }

  static func scatterData(points: Int, embedding: String?, labelsPath: String?) throws -> ([Double], [Double], [Int]) {
    if let embedding, let labelsPath {
      let array = try NPYArray.read(embedding)
      let values = array.doubles()
      let columns = array.shape.count == 2 ? array.shape[1] : 1
      let labels = try NPYArray.read(labelsPath).integers() ?? []
      return (
        stride(from: 0, to: values.count, by: columns).map { values[$0] },
        stride(from: 1, to: values.count, by: columns).map { values[$0] }, labels
      )
    }
    var rng = RandomGenerator(seed: 0)
    let centres = (0..<10).map { _ in (rng.normal(mean: 0, std: 10), rng.normal(mean: 0, std: 10)) }
    var x = [Double](), y = [Double](), labels = [Int]()
    for _ in 0..<points {
      let label = rng.int(below: 10)
      labels.append(label)
      x.append(centres[label].0 + rng.normal(mean: 0, std: 1.5))
      y.append(centres[label].1 + rng.normal(mean: 0, std: 1.5))
    }
    return (x, y, labels)
  }

  static func scatterFigure(x: [Double], y: [Double], labels: [Int], threads: ThreadCount) -> Figure {
    var scatter = Scatter(x: x, y: y, classes: labels, classNames: (0..<10).map { "class \($0)" })
    scatter.markerSize = 1.6  // matplotlib s=2 (points²)
    scatter.alpha = 0.6
    var panel = Panel(
      title: "\(x.count.formatted()) points, \(Set(labels).count) classes", x: Axis("dim 1"), y: Axis("dim 2"))
    panel.add(.scatter(scatter))
    panel.legend = .upperRight
    panel.legendColumns = 2
    var figure = Figure(width: 8, height: 6, panels: [panel])
    figure.dpi = 200
    figure.threads = threads
    return figure
  }

  static func linesFigure(threads: ThreadCount) -> Figure {
    let x = (0..<200).map { 10 * Double($0) / 199 }
    var panels = [Panel]()
    for p in 0..<4 {
      var panel = Panel(title: "panel \(p)", x: Axis("epoch"), y: Axis("metric"))
      for k in 0..<4 {
        let mean = x.map {
          sin($0 * (0.5 + 0.3 * Double(k)) + Double(p)) * exp(-$0 / (5 + Double(k))) + 0.1 * Double(k)
        }
        let std = x.map { 0.05 + 0.05 * abs(cos($0 + Double(k))) }
        panel.addLine(Line(x: x, y: mean, color: Palette.color(k), label: p == 0 ? "method \(k)" : nil), spread: std)
      }
      panels.append(panel)
    }
    var figure = Figure(width: 8, height: 6, rows: 2, columns: 2, panels: panels)
    figure.sharedX = true
    figure.dpi = 200
    figure.threads = threads
    return figure
  }
}
