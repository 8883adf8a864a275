import Foundation

/// The most memory one command may ask for, so that input whose dimensions would need
/// more (a huge image, a huge batch) is refused with a clear error before any work,
/// instead of swapping the machine or being killed half-way.
public struct MemoryBudget: Sendable, Equatable {
  /// The ceiling, in bytes.
  public var bytes: Int

  public init(bytes: Int) { self.bytes = bytes }

  /// This machine's physical memory, in bytes.
  public static var physicalMemory: Int { Int(min(ProcessInfo.processInfo.physicalMemory, UInt64(Int.max))) }

  /// The default: three quarters of physical memory (the rest is the system's, the
  /// weights', and the dataset's).
  public static var standard: MemoryBudget { MemoryBudget(bytes: physicalMemory / 4 * 3) }

  /// Parses a size as people write it: `512M`, `16G`, `1.5GiB`, `2T`, plain bytes, or a
  /// percentage of physical memory (`80%`); nil when it is not one, or not above zero.
  public static func parse(_ text: String) -> MemoryBudget? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.hasSuffix("%") {
      guard let percent = Double(trimmed.dropLast()), percent > 0, percent <= 100 else { return nil }
      return MemoryBudget(bytes: Int(Double(physicalMemory) * percent / 100))
    }
    let units: [(suffix: String, scale: Double)] = [
      ("TiB", 0x1p40), ("GiB", 0x1p30), ("MiB", 0x1p20), ("KiB", 0x1p10),
      ("TB", 0x1p40), ("GB", 0x1p30), ("MB", 0x1p20), ("KB", 0x1p10),
      ("T", 0x1p40), ("G", 0x1p30), ("M", 0x1p20), ("K", 0x1p10), ("B", 1),
    ]
    let unit = units.first { trimmed.uppercased().hasSuffix($0.suffix.uppercased()) } ?? (suffix: "", scale: 1)
    guard let number = Double(trimmed.dropLast(unit.suffix.count)), number.isFinite, number > 0 else { return nil }
    let bytes = number * unit.scale
    guard bytes >= 1, bytes < 0x1p62 else { return nil }
    return MemoryBudget(bytes: Int(bytes))
  }

  /// `bytes` for messages: GiB with two decimals, MiB with one below a GiB.
  public static func describe(_ bytes: Int) -> String {
    bytes >= 1 << 30
      ? String(format: "%.2f GiB", Double(bytes) / 0x1p30) : String(format: "%.1f MiB", Double(bytes) / 0x1p20)
  }

  /// Throws a `FileError` about `culprit` when `needed` bytes exceed the budget.
  /// `what` says what needs them, `remedy` how to need less.
  public func require(_ needed: Int, for what: String, culprit: String, remedy: String) throws(FileError) {
    guard needed > bytes else { return }
    throw FileError(
      culprit,
      "\(what) needs about \(Self.describe(needed)), more than the \(Self.describe(bytes)) allowed (--max-memory); \(remedy)")
  }
}
