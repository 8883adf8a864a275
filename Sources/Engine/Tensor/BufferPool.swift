import Foundation

/// Recycles the large buffers of tensors and convolution scratch space.
///
/// A training step allocates the same activation and gradient sizes every time; giving
/// each one fresh pages from the system costs a page fault per 4 KiB plus zeroing, about
/// 15 % of a small ResNet's step. Freed buffers of 64 KiB or more are kept here, by exact
/// size, and handed out again. This is an allocator, not program state: what a buffer
/// held before never shows (every user overwrites or zeroes it), and at most `limit`
/// bytes are kept (a quarter of physical memory); beyond that buffers go back to the
/// system.
final class BufferPool: @unchecked Sendable {
  static let shared = BufferPool(limit: Int(min(ProcessInfo.processInfo.physicalMemory / 4, UInt64(Int.max))))

  /// Buffers smaller than this go straight to malloc.
  static let minimumBytes = 65_536
  static let alignment = 64

  private let limit: Int
  private var free: [Int: [UnsafeMutableRawPointer]] = [:]
  private var cachedBytes = 0
  private let lock = NSLock()

  init(limit: Int) { self.limit = limit }

  /// An uninitialised buffer of `byteCount` bytes, 64-byte aligned.
  func take(_ byteCount: Int) -> UnsafeMutableRawPointer {
    if byteCount >= Self.minimumBytes {
      lock.lock()
      if let pointer = free[byteCount]?.popLast() {
        cachedBytes -= byteCount
        lock.unlock()
        return pointer
      }
      lock.unlock()
    }
    return UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: Self.alignment)
  }

  /// Returns a buffer obtained from `take` with the same `byteCount`.
  func give(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int) {
    if byteCount >= Self.minimumBytes {
      lock.lock()
      if cachedBytes + byteCount <= limit {
        free[byteCount, default: []].append(pointer)
        cachedBytes += byteCount
        lock.unlock()
        return
      }
      lock.unlock()
    }
    pointer.deallocate()
  }
}
