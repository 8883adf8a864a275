import Foundation

/// The memory behind a tensor: a 64-byte aligned block of Float32 values, recycled
/// through `BufferPool`.
///
/// Storage is shared between tensor copies and treated as immutable once an op has
/// filled it; `Tensor`'s mutating accessors copy it first unless they hold the only
/// reference (copy-on-write).
final class TensorStorage: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  let count: Int

  /// Uninitialised storage for `count` values; the caller fills every element.
  init(uninitializedCount count: Int) {
    self.count = count
    let raw = BufferPool.shared.take(max(count, 1) * 4)
    pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
  }

  /// Storage with every element set to `value`.
  convenience init(count: Int, repeating value: Float) {
    self.init(uninitializedCount: count)
    if value == 0 {
      memset(pointer, 0, count * 4)
    } else {
      pointer.initialize(repeating: value, count: count)
    }
  }

  /// Storage holding a copy of `values`.
  convenience init<C: Collection>(copying values: C) where C.Element == Float {
    self.init(uninitializedCount: values.count)
    let buffer = UnsafeMutableBufferPointer(start: pointer, count: values.count)
    _ = buffer.initialize(from: values)
  }

  /// A copy of this storage.
  func copy() -> TensorStorage {
    let result = TensorStorage(uninitializedCount: count)
    memcpy(result.pointer, pointer, count * 4)
    return result
  }

  var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

  deinit { BufferPool.shared.give(UnsafeMutableRawPointer(pointer), max(count, 1) * 4) }
}
