/// Splits `count` elements into per-thread ranges for memory-bound loops, using the
/// current context's thread count. Small inputs run on the calling thread.
func forEachRange(_ count: Int, minimumPerThread: Int = 32_768, _ body: @Sendable (Range<Int>) -> Void) {
  let threads = ComputeContext.current.threads.value
  let parts = min(threads, count / max(minimumPerThread, 1))
  if parts <= 1 {
    if count > 0 { body(0..<count) }
    return
  }
  let ranges = evenRanges(count, parts: parts)
  parallelFor(chunks: ranges.count, threads: ThreadCount(parts)) { body(ranges[$0]) }
}

/// A read-only pointer that may cross into `parallelFor` bodies.
struct ConstPointer: @unchecked Sendable {
  let base: UnsafePointer<Float>
  init(_ base: UnsafePointer<Float>) { self.base = base }
  init(_ base: UnsafeMutablePointer<Float>) { self.base = UnsafePointer(base) }
  init(_ tensor: Tensor) { base = UnsafePointer(tensor.storage.pointer) }
}

extension SendablePointer where T == Float {
  init(_ storage: TensorStorage) { self.init(storage.pointer) }
}
