// Benchmarks, one area per first argument: `clens-bench <area> [options]`.
// Each prints `name: value unit` lines, like the Python peers in Benchmarks/peers.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let options = Array(arguments.dropFirst())
do {
  switch arguments.first {
  case "augment": try AugmentBench.run(options)
  case "plot": PlotBench.main(options)
  case "conv": ConvBench.run(options)
  case "train": try TrainBench.run(options)
  case "simclr": try SimCLRBench.run(options)
  case "finetune": try FineTuneBench.run(options)
  case "moco": try MoCoBench.run(options)
  case "pgd": try PGDBench.run(options)
  case "tsne": try TSNEBench.run(options)
  case "align-uniform": try AlignUniformBench.run(options)
  case "weights-load": try WeightsLoadBench.run(options)
  default:
    print("usage: clens-bench <area> [options]\nareas: align-uniform, augment, conv, finetune, moco, pgd, plot, simclr, train, tsne, weights-load")
  }
} catch {
  // One line naming the file, as clens itself reports bad input.
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(1)
}
