/// One sanity check of a robustness curve (analysis spec §4.7): whether it passed, how
/// serious a failure is, and the numbers behind the verdict.
public struct SanityCheck: Sendable, Codable, Equatable {
  /// How a failed check must be treated.
  public enum Severity: String, Sendable, Codable {
    /// The numbers are wrong (ε = 0 differs from clean, an infeasible perturbation):
    /// `clens robustness` exits non-zero.
    case error
    /// The numbers may overstate robustness (gradient masking, an unconverged attack).
    case warning
  }

  public var name: String
  public var passed: Bool
  public var severity: Severity
  public var detail: String

  public init(name: String, passed: Bool, severity: Severity, detail: String) {
    self.name = name
    self.passed = passed
    self.severity = severity
    self.detail = detail
  }
}
