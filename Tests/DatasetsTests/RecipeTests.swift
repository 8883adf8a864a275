import Datasets
import Engine
import Testing

/// The recipes' steps and parameters against the augmentation recipes of
/// shared/spec/methods.md (§0.1 SupContrast, §2.6 MoCo v2, §1.6 Core-tuning, §3.5
/// SelfCon, §4.4 FNC), at 32x32. The other tests check what each step does; these check
/// that every recipe asks for the right steps, in the right order, with the right numbers.
struct RecipeTests {
  /// One line per step, with its parameters.
  static func describe(_ step: any ImageTransform) -> String {
    switch step {
    case let s as RandomResizedCrop:
      "RRC \(s.height)x\(s.width) scale \(s.scale) ratio \(s.ratio) \(s.interpolation)"
    case let s as RandomHorizontalFlip: "HFlip p \(s.probability)"
    case let s as RandomApply:
      "Apply p \(s.probability) [\(s.transforms.transforms.map(describe).joined(separator: "; "))]"
    case let s as ColorJitter: "Jitter \(s.brightness) \(s.contrast) \(s.saturation) \(s.hue)"
    case let s as RandomGrayscale: "Grey p \(s.probability)"
    case let s as GaussianBlur: "Blur k \(s.kernelSize) sigma \(s.sigma)"
    case let s as PILGaussianBlur: "PILBlur radius \(s.radius)"
    case let s as Resize: "Resize \(s.target) \(s.interpolation)"
    case let s as RandomRotation: "Rotate \(s.degrees) fill \(s.fill)"
    case let s as RandomCrop: "Crop \(s.height)x\(s.width) pad \(s.padding)"
    case let s as Normalize: "Normalize \(s.mean) \(s.std)"
    default: "unknown \(type(of: step))"
    }
  }

  static func steps(_ recipe: AugmentationRecipe) -> [String] {
    recipe.transform(height: 32, width: 32, normalization: nil).transforms.map(describe)
  }

  static let ratio = "0.75...1.3333333333333333"

  @Test func supconSimclrAndSelfconFollowSupContrast() {
    // RRC(32, scale 0.2-1) + flip + ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8 + grayscale p 0.2.
    let expected = [
      "RRC 32x32 scale 0.2...1.0 ratio \(Self.ratio) bilinear", "HFlip p 0.5",
      "Apply p 0.8 [Jitter 0.4 0.4 0.4 0.1]", "Grey p 0.2",
    ]
    for recipe in [AugmentationRecipe.simclr, .supcon, .selfcon] {
      #expect(Self.steps(recipe) == expected, "\(recipe)")
    }
    #expect(AugmentationRecipe.simclr.views == 2 && AugmentationRecipe.supcon.views == 2)
    #expect(AugmentationRecipe.selfcon.views == 1)
  }

  @Test func mocoV2() {
    // RRC(0.2-1) + ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8 + grayscale p 0.2 + PIL
    // GaussianBlur(radius U(0.1, 2)) p 0.5 + flip (MoCo's order; flip commutes with the rest).
    #expect(
      Self.steps(.mocoV2) == [
        "RRC 32x32 scale 0.2...1.0 ratio \(Self.ratio) bilinear",
        "Apply p 0.8 [Jitter 0.4 0.4 0.4 0.1]", "Grey p 0.2",
        "Apply p 0.5 [PILBlur radius 0.1...2.0]", "HFlip p 0.5",
      ])
    #expect(AugmentationRecipe.mocoV2.views == 2)
  }

  @Test func coreTuning() {
    // Resize 272 (bicubic) + RandomRotation(15) + RandomCrop 256 + flip, scaled by
    // 32 / 256: 34 then 32.
    #expect(
      Self.steps(.coreTuning) == [
        "Resize exact(height: 34, width: 34) bicubic", "Rotate 15.0 fill 0.0", "Crop 32x32 pad 0",
        "HFlip p 0.5",
      ])
    #expect(AugmentationRecipe.coreTuning.views == 1)
  }

  @Test func fnc() {
    // Crop area 0.08-1, aspect 3/4-4/3, bicubic + flip + SimCLR jitter of strength 1
    // (0.8, 0.8, 0.8, 0.2) p 0.8 + grayscale p 0.2 + blur p 0.5 with sigma U(0.1, 2) and
    // 2 * ((32 / 10) / 2) + 1 = 3 taps; 2 + S views.
    #expect(
      Self.steps(.fnc(supportViews: 8)) == [
        "RRC 32x32 scale 0.08...1.0 ratio \(Self.ratio) bicubic", "HFlip p 0.5",
        "Apply p 0.8 [Jitter 0.8 0.8 0.8 0.2]", "Grey p 0.2",
        "Apply p 0.5 [Blur k 3 sigma 0.1...2.0]",
      ])
    #expect(AugmentationRecipe.fnc(supportViews: 8).views == 10)
    #expect(AugmentationRecipe(name: "fnc") == .fnc(supportViews: 8))
  }

  @Test func evaluationRecipesAndNormalize() {
    #expect(
      Self.steps(.weak) == [
        "RRC 32x32 scale 0.2...1.0 ratio \(Self.ratio) bilinear", "HFlip p 0.5",
      ])
    #expect(Self.steps(.none).isEmpty)
    let normalized = AugmentationRecipe.none.transform(
      height: 32, width: 32, normalization: ([0.5], [0.25]))
    #expect(normalized.transforms.map(Self.describe) == ["Normalize [0.5] [0.25]"])
    // Every name parses to the recipe it names.
    #expect(
      AugmentationRecipe.names.compactMap { AugmentationRecipe(name: $0, supportViews: 2) } == [
        .simclr, .supcon, .selfcon, .mocoV2, .coreTuning, .fnc(supportViews: 2), .weak, .none,
      ])
  }
}
