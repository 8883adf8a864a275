import Engine
import Testing

/// `--max-memory` sizes and the activation estimate input is refused by.
@Suite struct MemoryBudgetTests {
  @Test func sizesParseAsPeopleWriteThem() {
    #expect(MemoryBudget.parse("16G")?.bytes == 16 << 30)
    #expect(MemoryBudget.parse("512M")?.bytes == 512 << 20)
    #expect(MemoryBudget.parse("1.5GiB")?.bytes == 3 << 29)
    #expect(MemoryBudget.parse("2tb")?.bytes == 2 << 40)
    #expect(MemoryBudget.parse("4096")?.bytes == 4096)
    #expect(MemoryBudget.parse("50%")?.bytes == MemoryBudget.physicalMemory / 2)
    for bad in ["0", "-1G", "nan", "inf", "1e300G", "lots", "101%", "0%", "G", ""] {
      #expect(MemoryBudget.parse(bad) == nil, "\(bad)")
    }
    #expect(MemoryBudget.standard.bytes > 0 && MemoryBudget.standard.bytes < MemoryBudget.physicalMemory)
  }

  @Test func refusalNamesTheCulpritAndBothSizes() throws {
    let budget = MemoryBudget(bytes: 1 << 30)
    try budget.require(1 << 30, for: "x", culprit: "a.npy", remedy: "r")
    #expect(throws: FileError("a.npy", "x needs about 2.00 GiB, more than the 1.00 GiB allowed (--max-memory); r")) {
      try budget.require(2 << 30, for: "x", culprit: "a.npy", remedy: "r")
    }
  }

  /// The estimate against the peak memory `Benchmarks/train-vs-peers.sh` measures for a
  /// ResNet-18 CIFAR training step at batch 128 (0.2 GiB at width 16, 1.1 GiB at width
  /// 64, weights and optimizer state included): within a factor of two.
  @Test func estimateTracksMeasuredTrainingPeaks() {
    for (width, measured) in [(16, 0.2), (64, 1.1)] {
      let c = ResNetConfiguration(depth: .resnet18, stem: .cifar, width: width, inChannels: 3, classes: 10)
      let estimate = Double(c.activationBytes(batch: 128, height: 32, width: 32, training: true)) / 0x1p30
      #expect(estimate > measured / 2 && estimate < measured * 2, "width \(width): \(estimate) GiB")
    }
  }

  @Test func estimateScalesWithBatchAndPixelsAndTrainingKeepsMore() {
    for depth in ResNetDepth.allCases {
      for stem in ResNetStem.allCases {
        let c = ResNetConfiguration(depth: depth, stem: stem, width: 16, inChannels: 3, classes: 10)
        let one = c.activationBytes(batch: 1, height: 64, width: 64, training: true)
        #expect(c.activationBytes(batch: 8, height: 64, width: 64, training: true) == 8 * one)
        let quadrupled = c.activationBytes(batch: 1, height: 128, width: 128, training: true)
        #expect(quadrupled > 3 * one && quadrupled < 5 * one, "\(depth) \(stem)")
        #expect(c.activationBytes(batch: 1, height: 64, width: 64, training: false) < one)
      }
    }
    // An 8192x8192 RGB image through ResNet-50: far beyond any machine.
    let huge = ResNetConfiguration(depth: .resnet50, stem: .imagenet).activationBytes(
      batch: 1, height: 8192, width: 8192, training: false)
    #expect(huge > 16 << 30)
  }
}
