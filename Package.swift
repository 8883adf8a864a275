// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Hot loops (GEMM packing, im2col, t-SNE gradients, augmentations) are written to
/// vectorise; `-target-cpu haswell` lets LLVM use AVX2 and FMA for them. Set
/// CLENS_PORTABLE=1 to build for the x86-64 baseline instead.
let portable = ProcessInfo.processInfo.environment["CLENS_PORTABLE"] != nil
let fastMath: [SwiftSetting] =
  portable ? [] : [.unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))]

let package = Package(
  name: "ContrastLens",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "clens", targets: ["clens"]),
    .library(name: "Engine", targets: ["Engine"]),
    .library(name: "Datasets", targets: ["Datasets"]),
    .library(name: "Analysis", targets: ["Analysis"]),
    .library(name: "Plotting", targets: ["Plotting"]),
    .library(name: "RunFormat", targets: ["RunFormat"]),
    .library(name: "Training", targets: ["Training"]),
  ],
  // `swift build --traits MPI` adds data-parallel training under `mpirun` (Debian's
  // libopenmpi-dev); without it clens trains in one process and needs no MPI.
  traits: [.trait(name: "MPI", description: "Data-parallel training over MPI (libopenmpi-dev)")],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // System libraries from Debian (see README for the apt line).
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    // libpng reports errors by longjmp, so every setjmp stays in this C target.
    .target(name: "PNGShim", dependencies: ["CPNG"]),
    .systemLibrary(name: "CMPI", pkgConfig: "mpi", providers: [.apt(["libopenmpi-dev"])]),

    // Convolution row kernels in C, for AVX-512 and AVX2 chosen at run time.
    .target(name: "SIMDKernels", exclude: ["row_kernels.inc"]),
    .target(name: "Engine", dependencies: ["CBLAS", "SIMDKernels"], swiftSettings: fastMath),
    .target(
      name: "Datasets",
      dependencies: ["Engine", "CZlib", "PNGShim"],
      resources: [.copy("Resources/digits.csv.gz"), .copy("Resources/DIGITS-LICENSE.md")],
      swiftSettings: fastMath
    ),
    // The run directory's files: typed records, atomic writes, crash-safe JSON lines.
    .target(name: "RunFormat", dependencies: ["Engine"]),
    .target(name: "Analysis", dependencies: ["Engine", "RunFormat", "CBLAS"], swiftSettings: fastMath),
    .target(name: "Plotting", dependencies: ["CCairo", "CZlib", "Engine", "RunFormat"], swiftSettings: fastMath),
    // Losses, methods, the training loop, checkpoints and the run writer.
    .target(name: "Training", dependencies: ["Engine", "Datasets", "Analysis", "RunFormat"], swiftSettings: fastMath),
    // The MPI process group; empty (and no MPI needed) unless the MPI trait is on.
    .target(
      name: "MPIProcessGroup",
      dependencies: ["Training", .target(name: "CMPI", condition: .when(traits: ["MPI"]))]
    ),
    .executableTarget(
      name: "clens",
      dependencies: [
        "Engine", "Datasets", "Analysis", "Plotting", "RunFormat", "Training", "MPIProcessGroup",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: fastMath
    ),
    .executableTarget(
      name: "clens-bench",
      dependencies: ["Engine", "Datasets", "Analysis", "Plotting", "RunFormat", "Training", "MPIProcessGroup"],
      path: "Benchmarks/clens-bench",
      swiftSettings: fastMath
    ),

    .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
    .testTarget(name: "EngineTests", dependencies: ["Engine", "SIMDKernels", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "AnalysisTests", dependencies: ["Analysis", "RunFormat", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "RunFormatTests", dependencies: ["RunFormat", "TestSupport"]),
    .testTarget(
      name: "TrainingTests", dependencies: ["Training", "Analysis", "Datasets", "RunFormat", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "PlottingTests", dependencies: ["Plotting", "RunFormat", "CCairo", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "CLITests", dependencies: ["clens", "TestSupport"]),
  ]
)
