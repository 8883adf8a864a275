// Benchmarks live here, one file per area; the first argument picks the area.
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "augment": try AugmentBench.run(Array(arguments.dropFirst()))
case "train": try TrainBench.run(Array(arguments.dropFirst()))
case "pgd": try PGDBench.run(Array(arguments.dropFirst()))
default: print("usage: clens-bench augment|train|pgd ...")
}
