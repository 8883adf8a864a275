import Foundation

/// A progress bar on stderr with rate and ETA, redrawn at most a few times a second.
/// Silent when stderr is not a terminal (CI logs, pipes) unless `force` is set, and
/// always silent with `--quiet`.
final class ProgressBar: @unchecked Sendable {
  private let label: String
  private let unit: String
  private let enabled: Bool
  private let start = Date()
  private var lastDraw = Date.distantPast
  private let lock = NSLock()

  private let initial: Int

  /// A bar for work that starts at `initial` units done (a resumed run).
  init(_ label: String, unit: String = "it", quiet: Bool = false, force: Bool = false, initial: Int = 0) {
    self.initial = initial
    self.label = label
    self.unit = unit
    self.enabled = !quiet && (force || isatty(STDERR_FILENO) != 0)
  }

  /// Reports that `done` of `total` units are finished, with an optional `detail` (such
  /// as the current loss) after the count; safe from any thread.
  func update(_ done: Int, of total: Int, detail: String = "") {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    let now = Date()
    guard done >= total || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
    lastDraw = now
    let elapsed = now.timeIntervalSince(start)
    let fraction = total > 0 ? Double(done) / Double(total) : 1
    let width = 28
    let filled = Int(fraction * Double(width))
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    let rate = elapsed > 0 ? Double(done - initial) / elapsed : 0
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let extra = detail.isEmpty ? "" : " \(detail)"
    let line = "\r\(label) \(bar) \(done)/\(total)\(extra) \(ProgressBar.format(rate: rate)) \(unit)/s ETA \(ProgressBar.format(seconds: eta)) "
    FileHandle.standardError.write(Data(line.utf8))
    if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
  }

  /// The callback form the library functions take.
  var callback: @Sendable (Int, Int) -> Void { { [self] done, total in update(done, of: total) } }

  static func format(rate: Double) -> String {
    rate >= 100 ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
  }

  static func format(seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }
}
