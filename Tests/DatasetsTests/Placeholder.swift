import Testing
@testable import Datasets
@Test func placeholder() { #expect(ImageSet(pixels: [1], labels: [0], channels: 1, height: 1, width: 1, classCount: 1).count == 1) }
