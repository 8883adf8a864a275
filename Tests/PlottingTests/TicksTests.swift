import Testing

@testable import Plotting

@Suite struct TicksTests {
  @Test func linearTicksAreNiceAndInside() {
    let ticks = TickLocator.linear(0.03...0.97, maxCount: 5)
    #expect(ticks.map(\.value) == [0.2, 0.4, 0.6, 0.8])
    #expect(ticks.map(\.label) == ["0.2", "0.4", "0.6", "0.8"])
  }
}
