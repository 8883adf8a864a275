// Benchmarks live here, one file per area; the first argument picks the area.
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "tsne": try TSNEBench.run(Array(arguments.dropFirst()))
default: print("usage: clens-bench tsne ...")
}
