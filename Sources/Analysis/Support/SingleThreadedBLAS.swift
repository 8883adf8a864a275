import CBLAS

/// Runs `body` with OpenBLAS limited to one thread, then restores its setting.
///
/// Analysis parallelises over its own fixed blocks (`parallelFor`) and calls BLAS inside
/// them. A multithreaded OpenBLAS underneath would oversubscribe the cores, and the way
/// it splits a product can change with how busy its pool is, which would make results
/// depend on timing. Not safe against BLAS calls running concurrently on other threads.
func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
  let previous = openblas_get_num_threads()
  openblas_set_num_threads(1)
  defer { openblas_set_num_threads(previous) }
  return try body()
}
