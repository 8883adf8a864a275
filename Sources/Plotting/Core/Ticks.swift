import Foundation

/// "Nice" tick positions and labels: steps of 1, 2, 2.5 or 5 times a power of ten on
/// linear axes; decades (with 2 and 5 in between on short ranges) on log axes.
enum TickLocator {
  /// Major ticks inside `range`: the finest nice step that gives at most `maxCount`
  /// ticks, or a finer one when that leaves fewer than `minCount`.
  static func linear(_ range: ClosedRange<Double>, maxCount: Int, minCount: Int = 3) -> [Tick] {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite else { return [Tick(range.lowerBound, format(range.lowerBound, step: 1))] }
    func count(_ step: Double) -> Int {
      Int((range.upperBound / step + 1e-9).rounded(.down) - (range.lowerBound / step - 1e-9).rounded(.up)) + 1
    }
    let top = Int(log10(span).rounded(.down)) + 1
    var steps = [(step: Double, multiplier: Double, exponent: Int)]()
    for exponent in stride(from: top, through: top - 4, by: -1) {
      for multiplier in [5.0, 2.5, 2.0, 1.0] {
        steps.append((multiplier * pow(10, Double(exponent)), multiplier, exponent))
      }
    }
    var chosen = steps[0]
    for candidate in steps {
      if count(candidate.step) > max(maxCount, 1) { break }
      chosen = candidate
    }
    if count(chosen.step) < minCount, let finer = steps.first(where: { count($0.step) >= minCount }) {
      chosen = finer
    }
    let step = chosen.step
    let first = (range.lowerBound / step - 1e-9).rounded(.up)
    let last = (range.upperBound / step + 1e-9).rounded(.down)
    guard first <= last else { return [] }
    // k·m/10ⁿ rather than k·(m·10⁻ⁿ): dividing by an exact power of ten gives the
    // double nearest the decimal (0.6, not 0.6000000000000001).
    let scale = pow(10, Double(abs(chosen.exponent)))
    let values = stride(from: first, through: last, by: 1).map {
      chosen.exponent < 0 ? $0 * chosen.multiplier / scale : $0 * chosen.multiplier * scale
    }
    let labels = formatLabels(values, step: step, multiplier: chosen.multiplier)
    return zip(values, labels).map { Tick($0 == 0 ? 0 : $0, $1) }
  }

  /// Ticks of a base-10 log axis over `range` (both ends positive).
  static func log(_ range: ClosedRange<Double>, maxCount: Int) -> [Tick] {
    let lowExponent = Int(log10(range.lowerBound).rounded(.down))
    let highExponent = Int(log10(range.upperBound).rounded(.up))
    let inside = { (value: Double) in
      value >= range.lowerBound * (1 - 1e-9) && value <= range.upperBound * (1 + 1e-9)
    }
    let decades = (lowExponent...highExponent).filter { inside(pow(10, Double($0))) }
    if decades.count >= 2 {
      let every = max(1, Int((Double(decades.count) / Double(max(maxCount, 1))).rounded(.up)))
      var ticks = [Tick]()
      for exponent in lowExponent...highExponent {
        let decade = pow(10, Double(exponent))
        if inside(decade), exponent % every == 0 {
          ticks.append(Tick(decade, "10" + superscript(exponent)))
        }
        if highExponent - lowExponent <= 6 {
          for factor in 2...9 where inside(decade * Double(factor)) {
            ticks.append(Tick(decade * Double(factor), "", isMajor: false))
          }
        }
      }
      return ticks
    }
    // Less than two decades: label 1, 2 and 5 times powers of ten as plain numbers.
    var values = [Double]()
    for exponent in lowExponent...highExponent {
      for factor in [1.0, 2.0, 5.0] where inside(factor * pow(10, Double(exponent))) {
        values.append(factor * pow(10, Double(exponent)))
      }
    }
    if values.count < 2 { return linear(range, maxCount: maxCount) }
    return values.map { Tick($0, plain($0)) }
  }

  /// Labels for evenly spaced values: a shared number of decimals, "k" for thousands,
  /// "×10ⁿ" for very large or very small numbers, and a real minus sign.
  static func formatLabels(_ values: [Double], step: Double, multiplier: Double) -> [String] {
    let largest = values.map(abs).max() ?? 0
    if largest >= 1e6 || (largest > 0 && largest < 1e-3) {
      let exponent = Int(log10(largest).rounded(.down))
      let scale = pow(10, Double(exponent))
      let decimals = decimalsFor(step: step / scale, multiplier: multiplier)
      return values.map { $0 == 0 ? "0" : fixed($0 / scale, decimals) + "×10" + superscript(exponent) }
    }
    if largest >= 1e4, values.allSatisfy({ ($0 / 1000).rounded() * 1000 == $0 }) {
      return values.map {
        $0 == 0 ? "0" : fixed($0 / 1000, decimalsFor(step: step / 1000, multiplier: multiplier)) + "k"
      }
    }
    let decimals = decimalsFor(step: step, multiplier: multiplier)
    return values.map { fixed($0, decimals) }
  }

  private static func decimalsFor(step: Double, multiplier: Double) -> Int {
    max(0, -Int(log10(step).rounded(.down))) + (multiplier == 2.5 && step < 10 ? 1 : 0)
  }

  static func format(_ value: Double, step: Double) -> String {
    formatLabels([value], step: step, multiplier: 1)[0]
  }

  /// A number with `decimals` places and a typographic minus sign.
  static func fixed(_ value: Double, _ decimals: Int) -> String {
    let text = String(format: "%.\(decimals)f", value)
    if text.hasPrefix("-") {
      let rest = text.dropFirst()
      return rest.allSatisfy({ $0 == "0" || $0 == "." }) ? String(rest) : "−" + rest
    }
    return text
  }

  /// The shortest plain decimal for values like 0.002 or 500.
  static func plain(_ value: Double) -> String {
    let decimals = max(0, -Int(log10(abs(value)).rounded(.down)))
    return fixed(value, decimals)
  }

  /// An integer in Unicode superscript digits (DejaVu Sans has them all).
  static func superscript(_ value: Int) -> String {
    let digits: [Character: Character] = [
      "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
    ]
    return String(String(value).map { digits[$0] ?? $0 })
  }
}
