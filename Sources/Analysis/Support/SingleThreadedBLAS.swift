import Engine

/// Runs `body` with OpenBLAS single-threaded, as the whole process keeps it
/// (`BLASKernels.useOneThread`).
///
/// Analysis parallelises over its own fixed blocks (`parallelFor`) and calls BLAS inside
/// them. A multithreaded OpenBLAS underneath would oversubscribe the cores, and the way
/// it splits a product can change with how busy its pool is, which would make results
/// depend on timing.
func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
  BLASKernels.useOneThread()
  return try body()
}
