// Benchmarks, one area per first argument: `clens-bench <area> [options]`.
// Each prints `name: value unit` lines, like the Python peers in Benchmarks/peers.
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "augment": try AugmentBench.run(Array(arguments.dropFirst()))
case "plot": PlotBench.main(Array(arguments.dropFirst()))
case "conv": ConvBench.run(Array(arguments.dropFirst()))
case "train": try TrainBench.run(Array(arguments.dropFirst()))
case "simclr": try SimCLRBench.run(Array(arguments.dropFirst()))
case "finetune": try FineTuneBench.run(Array(arguments.dropFirst()))
case "moco": try MoCoBench.run(Array(arguments.dropFirst()))
case "pgd": try PGDBench.run(Array(arguments.dropFirst()))
case "tsne": try TSNEBench.run(Array(arguments.dropFirst()))
case "align-uniform": try AlignUniformBench.run(Array(arguments.dropFirst()))
case "weights-load": try WeightsLoadBench.run(Array(arguments.dropFirst()))
default:
  print("usage: clens-bench <area> [options]\nareas: align-uniform, augment, conv, finetune, moco, pgd, plot, simclr, train, tsne, weights-load")
}
