import Datasets
import Engine
import Foundation
import Testing

/// The augmentation ops against torchvision on fixed inputs with fixed parameters
/// (fixtures from scripts/fixtures/augment.py).
struct AugmentParityTests {
  struct Case: Decodable {
    var name: String
    var op: String
    var input: String
    var output: String
    var tolerance: Float
    var top: Int?
    var left: Int?
    var right: Int?
    var bottom: Int?
    var height: Int?
    var width: Int?
    var out_height: Int?
    var out_width: Int?
    var interpolation: String?
    var mode: String?
    var fill: Float?
    var angle: Double?
    var factor: Float?
    var channels: Int?
    var kernel: Int?
    var sigma: Float?
    var radius: Float?
    var mean: [Float]?
    var std: [Float]?
    var order: [String]?
    var factors: [Float]?
  }

  struct RRCStats: Decodable {
    var height: Int
    var width: Int
    var scale: [Double]
    var ratio: [Double]
    var draws: Int
    var mean: [Double]
    var std: [Double]
  }

  struct Fixtures: Decodable {
    var cases: [Case]
    var rrc_stats: [RRCStats]
  }

  static func fixtures() throws -> Fixtures {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("augment/cases.json")))
    return try JSONDecoder().decode(Fixtures.self, from: data)
  }

  static func run(_ c: Case, on image: Image) throws -> Image {
    func need<T>(_ value: T?) throws -> T {
      guard let value else { throw FileError(c.name, "fixture case lacks a parameter") }
      return value
    }
    switch c.op {
    case "resized_crop":
      return image.resizedCrop(
        top: try need(c.top), left: try need(c.left), height: try need(c.height),
        width: try need(c.width),
        outHeight: try need(c.out_height), outWidth: try need(c.out_width),
        interpolation: Interpolation(rawValue: try need(c.interpolation)) ?? .bilinear)
    case "resize":
      return image.resized(
        height: try need(c.out_height), width: try need(c.out_width),
        interpolation: Interpolation(rawValue: try need(c.interpolation)) ?? .bilinear)
    case "crop":
      return image.cropped(
        top: try need(c.top), left: try need(c.left), height: try need(c.height),
        width: try need(c.width))
    case "pad":
      let mode: PaddingMode =
        switch try need(c.mode) {
        case "reflect": .reflect
        case "edge": .edge
        default: .constant(try need(c.fill))
        }
      return image.padded(
        left: try need(c.left), top: try need(c.top), right: try need(c.right),
        bottom: try need(c.bottom), mode: mode)
    case "center_crop":
      return image.centerCropped(height: try need(c.height), width: try need(c.width))
    case "hflip":
      return image.flippedHorizontally()
    case "rotate":
      return image.rotated(degrees: try need(c.angle))
    case "brightness":
      return image.adjustingBrightness(try need(c.factor))
    case "contrast":
      return image.adjustingContrast(try need(c.factor))
    case "saturation":
      return image.adjustingSaturation(try need(c.factor))
    case "hue":
      return image.adjustingHue(try need(c.factor))
    case "grayscale":
      return image.grayscaled(outputChannels: try need(c.channels))
    case "blur":
      return image.blurred(kernelSize: try need(c.kernel), sigma: try need(c.sigma))
    case "pil_blur":
      return image.pilGaussianBlurred(radius: try need(c.radius))
    case "normalize":
      return image.normalized(mean: try need(c.mean), std: try need(c.std))
    case "jitter":
      let factors = try need(c.factors)
      let order = try need(c.order).compactMap { name in
        ColorJitter.Adjustment.allCases.first { "\($0)" == name }
      }
      let parameters = ColorJitter.Parameters(
        order: order, brightness: factors[0], contrast: factors[1], saturation: factors[2],
        hue: factors[3])
      return ColorJitter.apply(image, parameters)
    default:
      throw FileError(c.name, "unknown op \(c.op)")
    }
  }

  @Test func everyOpMatchesTorchvision() throws {
    let fixtures = try Self.fixtures()
    #expect(fixtures.cases.count > 100)
    var inputs = [String: Image]()
    for c in fixtures.cases {
      if inputs[c.input] == nil {
        inputs[c.input] = try fixtureImage("augment/input_\(c.input).npy")
      }
      let input = try #require(inputs[c.input])
      let expected = try fixtureImage("augment/\(c.output)")
      let difference = maxDifference(try Self.run(c, on: input), expected)
      #expect(difference <= c.tolerance, "\(c.name): max difference \(difference) > \(c.tolerance)")
    }
  }

  /// The crop sampler's box moments over many draws equal torchvision's get_params's
  /// (within 5 standard errors of the difference of two means).
  @Test func randomResizedCropSamplesLikeTorchvision() throws {
    for stats in try Self.fixtures().rrc_stats {
      let crop = RandomResizedCrop(
        height: 8, width: 8, scale: stats.scale[0]...stats.scale[1],
        ratio: stats.ratio[0]...stats.ratio[1])
      var rng = RandomGenerator(seed: 11)
      var boxes = [[Double]]()
      for _ in 0..<stats.draws {
        let box = crop.sampleBox(height: stats.height, width: stats.width, using: &rng)
        boxes.append([Double(box.top), Double(box.left), Double(box.height), Double(box.width)])
        #expect(
          box.top >= 0 && box.left >= 0 && box.top + box.height <= stats.height
            && box.left + box.width <= stats.width)
      }
      for k in 0..<4 {
        let mean = boxes.reduce(0) { $0 + $1[k] } / Double(boxes.count)
        let standardError = stats.std[k] * (2 / Double(stats.draws)).squareRoot()
        #expect(
          abs(mean - stats.mean[k]) <= 5 * standardError + 1e-9,
          "\(stats.height)x\(stats.width) component \(k): mean \(mean) vs torchvision \(stats.mean[k])"
        )
      }
    }
  }
}
