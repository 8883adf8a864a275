import Engine
import Foundation

/// The batches of one epoch, made ahead of time by background threads into a bounded
/// queue, so augmentation overlaps the consumer's compute (PyTorch's DataLoader with
/// workers). Starting at batch `f`, worker `w` of `T` makes batches `f + w, f + w + T, ...`;
/// the consumer receives them in order.
public final class BatchSequence: Sequence, IteratorProtocol {
  private let state: PrefetchState

  init(loader: BatchLoader, epoch: Int, first: Int) {
    let order = loader.order(epoch: epoch)
    let total = loader.batchesPerEpoch
    state = PrefetchState(first: first, total: total, capacity: loader.prefetch)
    let workers = Swift.max(1, Swift.min(loader.threads.value, total - first))
    for worker in 0..<workers {
      let thread = Thread { [state] in
        var index = first + worker
        while index < total {
          guard state.waitForRoom(index) else { return }
          state.deliver(index, loader.makeBatch(epoch: epoch, index: index, order: order))
          index += workers
        }
      }
      thread.name = "clens-batches-\(worker)"
      thread.start()
    }
  }

  /// The next batch, waiting for it when the workers are behind; nil after the last.
  public func next() -> Batch? { state.take() }

  deinit { state.cancel() }
}

/// The queue between batch workers and the consumer.
private final class PrefetchState: @unchecked Sendable {
  private let condition = NSCondition()
  private var ready = [Int: Batch]()
  private var nextToTake = 0
  private var cancelled = false
  private let total: Int
  private let capacity: Int

  init(first: Int, total: Int, capacity: Int) {
    nextToTake = first
    self.total = total
    self.capacity = capacity
  }

  /// Blocks until batch `index` is within `capacity` of the consumer; false when the
  /// consumer has gone away.
  func waitForRoom(_ index: Int) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while !cancelled && index >= nextToTake + capacity { condition.wait() }
    return !cancelled
  }

  func deliver(_ index: Int, _ batch: Batch) {
    condition.lock()
    ready[index] = batch
    condition.broadcast()
    condition.unlock()
  }

  func take() -> Batch? {
    condition.lock()
    defer { condition.unlock() }
    guard nextToTake < total else { return nil }
    while ready[nextToTake] == nil { condition.wait() }
    let batch = ready.removeValue(forKey: nextToTake)
    nextToTake += 1
    condition.broadcast()
    return batch
  }

  func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }
}
