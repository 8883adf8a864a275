/// A seedable, splittable pseudo-random generator used everywhere in ContrastLens,
/// so that a given `--seed` reproduces a run bit for bit.
///
/// The state is xoshiro256** (Blackman & Vigna), seeded through SplitMix64. Work that
/// runs on several threads takes one `stream(_:)` per item (batch, point, example), not
/// per thread, so results do not depend on the thread count.
///
/// ```swift
/// var rng = RandomGenerator(seed: 0)
/// let x = rng.normal()                 // one N(0, 1) draw
/// var perBatch = rng.stream(7)         // an independent generator for batch 7
/// ```
public struct RandomGenerator: RandomNumberGenerator, Sendable {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64
  /// The seed this generator started from (streams derive from it).
  public let seed: UInt64

  /// Creates a generator whose whole sequence is determined by `seed`.
  public init(seed: UInt64) {
    self.seed = seed
    var sm = seed
    s0 = RandomGenerator.splitMix(&sm)
    s1 = RandomGenerator.splitMix(&sm)
    s2 = RandomGenerator.splitMix(&sm)
    s3 = RandomGenerator.splitMix(&sm)
  }

  /// An independent generator for sub-stream `index`, derived from the seed only
  /// (not from how many numbers this generator has already drawn).
  public func stream(_ index: UInt64) -> RandomGenerator {
    var mix = seed ^ 0x9E37_79B9_7F4A_7C15
    let a = RandomGenerator.splitMix(&mix)
    var mix2 = a &+ index &* 0xD1B5_4A32_D192_ED03
    return RandomGenerator(seed: RandomGenerator.splitMix(&mix2))
  }

  private static func splitMix(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// Uniform in [0, 1) with 24 random bits (every Float value on the grid 2⁻²⁴).
  public mutating func uniformFloat() -> Float {
    Float(next() >> 40) * 0x1p-24
  }

  /// Uniform in [0, 1) with 53 random bits.
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// Uniform in [low, high).
  public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * uniform()
  }

  /// Uniform integer in 0..<bound, without modulo bias (Lemire's method).
  public mutating func int(below bound: Int) -> Int {
    precondition(bound > 0, "int(below:) needs a positive bound")
    let b = UInt64(bound)
    var m = next().multipliedFullWidth(by: b)
    if m.low < b {
      let threshold = (0 &- b) % b
      while m.low < threshold { m = next().multipliedFullWidth(by: b) }
    }
    return Int(m.high)
  }

  /// A standard normal draw (Box–Muller; one draw per call, so the sequence does not
  /// depend on how calls are interleaved).
  public mutating func normal() -> Double {
    var u1 = uniform()
    while u1 <= 0 { u1 = uniform() }
    let u2 = uniform()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }

  /// A normal draw with the given mean and standard deviation.
  public mutating func normal(mean: Double, std: Double) -> Double {
    mean + std * normal()
  }

  /// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 by the boost u^(1/shape)).
  public mutating func gamma(shape: Double) -> Double {
    precondition(shape > 0, "gamma(shape:) needs a positive shape")
    if shape < 1 {
      var u = uniform()
      while u <= 0 { u = uniform() }
      return gamma(shape: shape + 1) * pow(u, 1 / shape)
    }
    let d = shape - 1.0 / 3.0
    let c = 1 / (9 * d).squareRoot()
    while true {
      var x: Double
      var v: Double
      repeat {
        x = normal()
        v = 1 + c * x
      } while v <= 0
      v = v * v * v
      let u = uniform()
      if u < 1 - 0.0331 * x * x * x * x { return d * v }
      if u > 0, log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
    }
  }

  /// A Beta(a, b) draw, as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b) (mixup's λ).
  public mutating func beta(_ a: Double, _ b: Double) -> Double {
    let x = gamma(shape: a)
    let y = gamma(shape: b)
    return x / (x + y)
  }

  /// True with probability `p`.
  public mutating func bernoulli(_ p: Double) -> Bool {
    uniform() < p
  }

  /// A uniformly random permutation of 0..<n (Fisher–Yates, our own so that the
  /// sequence does not change with the standard library).
  public mutating func permutation(_ n: Int) -> [Int] {
    var p = Array(0..<n)
    shuffle(&p)
    return p
  }

  /// Shuffles `array` in place (Fisher–Yates).
  public mutating func shuffle<T>(_ array: inout [T]) {
    var i = array.count - 1
    while i > 0 {
      let j = int(below: i + 1)
      array.swapAt(i, j)
      i -= 1
    }
  }
}

/// What a random stream is for. Every component that draws from a user's `--seed` takes
/// the stream of its purpose first (`RandomGenerator(seed: seed).stream(.batches)`), so
/// two components never draw the same numbers: the `--limit` sample and the augmented
/// views of one command, say, are independent.
public enum RandomPurpose: UInt64, Sendable, CaseIterable {
  /// The images of `--limit`'s class-stratified sample.
  case sample = 0x5341_4D50_4C45
  /// The labelled subset of semi-supervised fine-tuning (`--labelled`).
  case labelSubset = 0x4C41_4245_4C53
  /// The validation split carved from the training split for model selection.
  case validation = 0x5641_4C49_4400
  /// The order of every epoch and each image's augmentations (`BatchLoader`).
  case batches = 0x4241_5443_4845
  /// Augmented views made for analysis (`--views`, feature snapshots' positives).
  case views = 0x5649_4557_5300
  /// A model's initial weights.
  case initialization = 0x494E_4954_0000
  /// Draws a training method makes inside a step (mixing coefficients, permutations).
  case step = 0x5354_4550_0000
}

extension RandomGenerator {
  /// The independent stream of `purpose` (see `RandomPurpose`).
  public func stream(_ purpose: RandomPurpose) -> RandomGenerator { stream(purpose.rawValue) }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
