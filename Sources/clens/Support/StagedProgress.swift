import Foundation

/// Progress bars for a computation with several stages: a bar per stage, created the
/// first time the stage reports. Safe to call from any thread.
final class StagedProgress: @unchecked Sendable {
  private let quiet: Bool
  private var bars = [String: ProgressBar]()
  private let lock = NSLock()

  init(quiet: Bool) { self.quiet = quiet }

  /// Reports `done` of `total` for the stage called `label`.
  func update(_ label: String, unit: String = "it", _ done: Int, _ total: Int) {
    lock.lock()
    let bar = bars[label] ?? ProgressBar(label, unit: unit, quiet: quiet)
    bars[label] = bar
    lock.unlock()
    bar.update(done, of: total)
  }

  /// The (done, total) callback for one stage.
  func callback(_ label: String, unit: String = "it") -> @Sendable (Int, Int) -> Void {
    { [self] done, total in update(label, unit: unit, done, total) }
  }
}
