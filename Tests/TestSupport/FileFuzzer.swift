import Engine
import Foundation

/// Mutated copies of a valid file, for checking that a parser answers every corruption
/// with one error line naming the file, and never traps, hangs or reads past its input.
///
/// Each case applies one to four mutations drawn from a fixed-seed stream: bit flips,
/// bytes set to boundary values, 2/4/8-byte integers overwritten with boundary values
/// (both byte orders), truncation, deleted, duplicated and inserted runs, and, for text
/// formats, digits replaced by long, negative or non-finite numbers. Half the positions
/// fall in the first 128 bytes, where headers live.
public struct FileFuzzer {
  private var random: RandomGenerator
  private let text: Bool

  /// A mutator seeded with `seed`; `text` adds the number-replacing mutations.
  public init(seed: UInt64, text: Bool = false) {
    random = RandomGenerator(seed: seed)
    self.text = text
  }

  /// How many cases a fuzz test runs: `standard`, or `CLENS_FUZZ_CASES` when set (the
  /// fuzz benchmark sets it to run many more than the suite does).
  public static func caseCount(standard: Int) -> Int {
    ProcessInfo.processInfo.environment["CLENS_FUZZ_CASES"].flatMap(Int.init) ?? standard
  }

  /// A mutated copy of `bytes`.
  public mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    for _ in 0...random.int(below: 4) { mutateOnce(&out) }
    return out
  }

  /// Runs `parse` on `cases` mutated copies of `valid`. A case passes when `parse`
  /// returns or throws a `FileError` for `path` in one line; a trap ends the test
  /// process, which is the failure this exists to catch.
  public mutating func run(
    _ valid: [UInt8], cases: Int, path: String, parse: ([UInt8]) throws -> Void
  ) -> FuzzOutcome {
    var outcome = FuzzOutcome()
    for _ in 0..<cases {
      let input = mutate(valid)
      do {
        try parse(input)
        outcome.accepted += 1
      } catch let error as FileError {
        outcome.refuse(error.description, path: path)
      } catch {
        outcome.refuse("not a FileError: \(error)", path: path)
      }
    }
    return outcome
  }

  private static let boundaryBytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x22, 0x2C, 0x0A]
  private static let boundaryWords: [UInt64] = [
    0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
    0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0x1_0000_0000, 1 << 40,
  ]
  private static let numbers = [
    "0", "-1", "99999999999999999999", "1e309", "-1e309", "nan", "NaN", "inf", "1e-400", "4294967296",
    "9223372036854775808", "", "\"x\"", "null", "[]", "{}", "-0",
  ]

  private mutating func position(in count: Int) -> Int {
    random.bernoulli(0.5) ? random.int(below: min(count, 128)) : random.int(below: count)
  }

  private mutating func mutateOnce(_ bytes: inout [UInt8]) {
    guard !bytes.isEmpty else {
      bytes = (0..<random.int(below: 16)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      return
    }
    switch random.int(below: text ? 9 : 8) {
    case 0:
      bytes[position(in: bytes.count)] ^= 1 << UInt8(random.int(below: 8))
    case 1:
      bytes[position(in: bytes.count)] = Self.boundaryBytes[random.int(below: Self.boundaryBytes.count)]
    case 2:
      let width = [2, 4, 8][random.int(below: 3)]
      let start = position(in: bytes.count)
      let value = Self.boundaryWords[random.int(below: Self.boundaryWords.count)]
      let bigEndian = random.bernoulli(0.5)
      for k in 0..<width where start + k < bytes.count {
        let shift = UInt64(8 * (bigEndian ? width - 1 - k : k))
        bytes[start + k] = UInt8(truncatingIfNeeded: value >> shift)
      }
    case 3:
      bytes.removeLast(bytes.count - random.int(below: bytes.count))
    case 4:
      let start = position(in: bytes.count)
      bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.int(below: 32)))
    case 5:
      let start = position(in: bytes.count)
      let run = bytes[start..<min(bytes.count, start + 1 + random.int(below: 64))]
      bytes.insert(contentsOf: run, at: position(in: bytes.count))
    case 6:
      let run = (0..<1 + random.int(below: 16)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      bytes.insert(contentsOf: run, at: position(in: bytes.count + 1) % (bytes.count + 1))
    case 7:
      let start = position(in: bytes.count)
      for k in start..<min(bytes.count, start + 1 + random.int(below: 8)) {
        bytes[k] = UInt8(truncatingIfNeeded: random.next())
      }
    default:
      replaceNumber(&bytes)
    }
  }

  /// Replaces the run of number characters around a random position with a boundary
  /// token.
  private mutating func replaceNumber(_ bytes: inout [UInt8]) {
    func isNumeric(_ b: UInt8) -> Bool {
      (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "e")
    }
    let digits = bytes.indices.filter { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
    guard !digits.isEmpty else { return }
    var start = digits[random.int(below: digits.count)]
    var end = start + 1
    while start > 0, isNumeric(bytes[start - 1]) { start -= 1 }
    while end < bytes.count, isNumeric(bytes[end]) { end += 1 }
    bytes.replaceSubrange(start..<end, with: Array(Self.numbers[random.int(below: Self.numbers.count)].utf8))
  }
}

/// What a parser made of a fuzz run: how many mutated files it accepted and refused,
/// and the refusals whose message broke the one-line, names-the-file promise.
public struct FuzzOutcome: CustomStringConvertible {
  public var accepted = 0
  public var refused = 0
  public var badMessages: [String] = []

  public init() {}

  /// Counts a refusal, keeping its message when it is not one line starting `path: `.
  public mutating func refuse(_ message: String, path: String) {
    refused += 1
    if !message.hasPrefix(path + ": ") || message.contains("\n") || message.count > 400 {
      badMessages.append(message)
    }
  }

  public var description: String {
    "\(accepted) accepted, \(refused) refused, \(badMessages.count) bad messages: \(badMessages.prefix(3))"
  }
}
