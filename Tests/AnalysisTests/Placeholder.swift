import Testing
@testable import Analysis
@Test func placeholder() { #expect(FeatureMatrix(rows: 1, columns: 1, values: [1]).rows == 1) }
