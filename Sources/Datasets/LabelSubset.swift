import Engine

/// Which labelled images semi-supervised fine-tuning may use: all, a fraction (1 %,
/// 10 %) or N per class, drawn class by class with a seed.
public enum LabelSubset: Sendable, Equatable, CustomStringConvertible {
  case all
  /// This fraction (in (0, 1]) of the images, split across classes in proportion to
  /// their sizes (equal shares on a balanced dataset).
  case fraction(Double)
  /// This many images of every class (all of a smaller class).
  case perClass(Int)

  /// Parses "all", "10%" / "1%" (a fraction) or "100" (per class).
  public init?(_ text: String) {
    if text == "all" {
      self = .all
    } else if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0,
      percent <= 100
    {
      self = .fraction(percent / 100)
    } else if let n = Int(text), n > 0 {
      self = .perClass(n)
    } else {
      return nil
    }
  }

  public var description: String {
    switch self {
    case .all: "all"
    case .fraction(let f): "\((f * 100).formatted())%"
    case .perClass(let n): "\(n)"
    }
  }
}

extension Double {
  /// Shortest decimal text ("1", "12.5"), rounded to 1e-9 so that a percentage that went
  /// through a fraction ("7%" is 0.07, and 0.07 * 100 = 7.000000000000001) reads as typed.
  fileprivate func formatted() -> String {
    let value = (self * 1e9).rounded() / 1e9
    return value == value.rounded() ? String(Int(value)) : String(value)
  }
}

extension ImageSet {
  /// The indices (ascending) of the labelled subset `subset`, chosen with `seed`: class
  /// `c` takes the first images of a permutation of its members drawn from
  /// `RandomGenerator(seed: seed).stream(.labelSubset).stream(c)`, so a class's choice
  /// does not depend on the other classes.
  public func labelledIndices(_ subset: LabelSubset, seed: UInt64) -> [Int] {
    switch subset {
    case .all:
      return Array(0..<count)
    case .fraction(let f):
      precondition(f > 0 && f <= 1, "LabelSubset fraction must lie in (0, 1]")
      return stratifiedIndices(total: max(1, Int((f * Double(count)).rounded())), seed: seed, purpose: .labelSubset)
    case .perClass(let n):
      return pick(quotas: classCounts.map { min($0, n) }, seed: seed, purpose: .labelSubset)
    }
  }

  /// `total` indices (ascending) spread over the classes in proportion to their sizes
  /// (largest remainders; ties to the smaller class index), seeded as
  /// `labelledIndices` but from the stream of `purpose` (`--limit`'s sample by default).
  public func stratifiedIndices(total: Int, seed: UInt64, purpose: RandomPurpose = .sample) -> [Int] {
    let total = min(max(total, 0), count)
    let counts = classCounts
    let exact = counts.map { Double($0) * Double(total) / Double(max(count, 1)) }
    var quotas = exact.map { Int($0.rounded(.down)) }
    let missing = total - quotas.reduce(0, +)
    let byRemainder = (0..<counts.count).sorted { a, b in
      let (ra, rb) = (exact[a] - Double(quotas[a]), exact[b] - Double(quotas[b]))
      return ra != rb ? ra > rb : a < b
    }
    for c in byRemainder.prefix(missing) { quotas[c] += 1 }
    return pick(quotas: quotas, seed: seed, purpose: purpose)
  }

  private func pick(quotas: [Int], seed: UInt64, purpose: RandomPurpose) -> [Int] {
    var members = [[Int]](repeating: [], count: classCount)
    for (index, label) in labels.enumerated() { members[label].append(index) }
    let base = RandomGenerator(seed: seed).stream(purpose)
    var chosen = [Int]()
    for (c, quota) in quotas.enumerated() where quota > 0 {
      var rng = base.stream(UInt64(c))
      var pool = members[c]
      rng.shuffle(&pool)
      chosen += pool.prefix(quota)
    }
    return chosen.sorted()
  }
}
