import Engine
import Testing
import TestSupport

/// The comparison helpers every parity test uses fail on NaN and infinity, wherever it
/// sits (Swift's `max(acc, .nan)` keeps `acc`, which once let a NaN pass).
@Suite struct ComparisonTests {
  @Test(arguments: [Float.nan, .infinity, -.infinity]) func nonFiniteValuesNeverCompareClose(bad: Float) {
    let reference: [Float] = [1, 2, 3]
    for position in 0..<3 {
      var actual = reference
      actual[position] = bad
      #expect(!(maxRelativeError(actual, reference) < 1e-3))
      #expect(!(maxRelativeError(reference, actual) < 1e-3))
      #expect(!(maxNormalizedError(actual, reference) < 1e-3))
      #expect(!(maxAbsoluteDifference(actual, reference) < 1e-3))
      #expect(!(maxRelativeError(actual.map(Double.init), reference.map(Double.init)) < 1e-3))
    }
    #expect(!(maxRelativeError([Float.infinity], [.infinity]) < 1e-3))
    #expect(maxRelativeError(reference, reference) == 0 && maxAbsoluteDifference(reference, reference) == 0)
  }

  @Test func theGradientCheckerFailsOnANaNGradient() {
    let errors = gradientErrors(of: { $0[0] * Float.nan }, at: [randomTensor([3], seed: 1)])
    #expect(errors.allSatisfy { !($0 < 1e-3) })
  }
}
