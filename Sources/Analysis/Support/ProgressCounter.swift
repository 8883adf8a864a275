import Synchronization

/// Counts finished work items across threads and forwards the count to a progress
/// callback, so parallel loops can report `done / total` without a lock.
final class ProgressCounter: Sendable {
  private let done = Atomic<Int>(0)
  private let total: Int
  private let callback: (@Sendable (Int, Int) -> Void)?

  init(total: Int, _ callback: (@Sendable (Int, Int) -> Void)?) {
    self.total = total
    self.callback = callback
  }

  /// Records `amount` more finished items and reports the new count.
  func advance(by amount: Int = 1) {
    guard let callback else { return }
    let now = done.add(amount, ordering: .relaxed).newValue
    callback(min(now, total), total)
  }
}
