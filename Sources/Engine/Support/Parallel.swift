import Dispatch
import Synchronization

/// How many worker threads a computation may use. Passed explicitly (from `--threads`)
/// instead of living in a global, so two computations in one process can differ.
public struct ThreadCount: Sendable, Equatable {
  public let value: Int

  public init(_ value: Int) {
    precondition(value >= 1, "ThreadCount needs at least one thread")
    self.value = value
  }

  /// One thread per available core.
  public static var available: ThreadCount { ThreadCount(max(1, ProcessInfo.processInfo.activeProcessorCount)) }
  public static let one = ThreadCount(1)
}

/// Runs `body(chunk)` for chunks 0..<chunks on up to `threads` threads and waits for all
/// of them. Each chunk must write only its own part of the output, so the result does
/// not depend on the thread count. Threads take the next chunk as they finish one, so a
/// core slowed by other work on the machine takes fewer chunks instead of holding up all.
public func parallelFor(chunks: Int, threads: ThreadCount, _ body: @Sendable (Int) -> Void) {
  if chunks <= 0 { return }
  if threads.value == 1 || chunks == 1 {
    for chunk in 0..<chunks { body(chunk) }
    return
  }
  let next = Atomic<Int>(0)
  DispatchQueue.concurrentPerform(iterations: min(threads.value, chunks)) { _ in
    while true {
      let chunk = next.add(1, ordering: .relaxed).oldValue
      if chunk >= chunks { return }
      body(chunk)
    }
  }
}

/// Splits 0..<count into `parts` contiguous ranges of nearly equal size.
public func evenRanges(_ count: Int, parts: Int) -> [Range<Int>] {
  let parts = max(1, min(parts, count))
  return (0..<parts).map { p in (count * p / parts)..<(count * (p + 1) / parts) }
}

/// A raw pointer that may cross into `parallelFor` bodies. Safe only when every chunk
/// touches disjoint elements; that is the contract of every caller.
public struct SendablePointer<T>: @unchecked Sendable {
  public let base: UnsafeMutablePointer<T>
  public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
  public subscript(index: Int) -> T {
    get { base[index] }
    nonmutating set { base[index] = newValue }
  }
}

import Foundation
