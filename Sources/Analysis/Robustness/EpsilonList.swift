import Foundation

extension RobustnessSettings {
  /// Parses an ε list as people write it: comma-separated decimals or fractions, so that an
  /// l-inf grid can be given in the usual /255 units (`2/255,4/255,8/255` or `0.5,1.5`).
  public static func parseEpsilons(_ text: String) throws(RobustnessInputError) -> [Float] {
    var result = [Float]()
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let entry = item.trimmingCharacters(in: .whitespaces)
      let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
      let value: Double?
      switch parts.count {
      case 1: value = Double(parts[0])
      case 2:
        if let numerator = Double(parts[0]), let denominator = Double(parts[1]), denominator != 0 {
          value = numerator / denominator
        } else {
          value = nil
        }
      default: value = nil
      }
      guard let value, value.isFinite else {
        throw RobustnessInputError(
          "'\(entry)' is not an eps (write a number or a fraction such as 8/255)")
      }
      result.append(Float(value))
    }
    return result
  }
}
