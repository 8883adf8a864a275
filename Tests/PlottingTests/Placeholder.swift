import Testing
@testable import Plotting
@Test func placeholder() { #expect(Palette.okabeIto.count == 10) }
