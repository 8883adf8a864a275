import Testing

@testable import Plotting

@Suite struct TicksTests {
  @Test func linearTicksAreNiceAndInside() {
    let ticks = TickLocator.linear(0.03...0.97, maxCount: 5)
    #expect(ticks.map(\.value) == [0.2, 0.4, 0.6, 0.8])
    #expect(ticks.map(\.label) == ["0.2", "0.4", "0.6", "0.8"])
  }

  @Test func shortAxesStillGetThreeTicks() {
    let ticks = TickLocator.linear(0.4...2.5, maxCount: 2)
    #expect(ticks.map(\.value) == [0.5, 1.0, 1.5, 2.0, 2.5])
    #expect(ticks.map(\.label) == ["0.5", "1.0", "1.5", "2.0", "2.5"])
  }

  @Test func labelsUseMinusSignsThousandsAndPowersOfTen() {
    #expect(TickLocator.linear(-1...1, maxCount: 5).map(\.label) == ["−1.0", "−0.5", "0.0", "0.5", "1.0"])
    #expect(TickLocator.linear(0...50_000, maxCount: 6).map(\.label) == ["0", "10k", "20k", "30k", "40k", "50k"])
    #expect(TickLocator.linear(0...0.0004, maxCount: 5).map(\.label) == ["0", "1×10⁻⁴", "2×10⁻⁴", "3×10⁻⁴", "4×10⁻⁴"])
    #expect(TickLocator.linear(0...12.5, maxCount: 6).map(\.label) == ["0.0", "2.5", "5.0", "7.5", "10.0", "12.5"])
  }

  @Test func logTicksAreDecadesOrOneTwoFive() {
    let decades = TickLocator.log(0.0005...2, maxCount: 6)
    #expect(decades.filter(\.isMajor).map(\.label) == ["10⁻³", "10⁻²", "10⁻¹", "10⁰"])
    #expect(decades.filter { !$0.isMajor }.count == 8 * 3 + 5 + 1)
    #expect(TickLocator.log(0.15...0.9, maxCount: 5).map(\.label) == ["0.2", "0.5"])
  }
}
