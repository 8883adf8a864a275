/// The augmentation pipelines of the methods ContrastLens reproduces
/// (`shared/spec/methods.md`), scaled to the dataset's image size. Every recipe ends
/// with `Normalize` when statistics are given.
///
/// | recipe | pipeline (torchvision terms) | views |
/// |---|---|---|
/// | `simclr`, `supcon` | RRC(scale 0.2–1) → HFlip → ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8 → Grayscale p 0.2 | 2 |
/// | `selfcon` | as SupCon, one view (SelfCon's default single-view mode) | 1 |
/// | `mocoV2` | RRC(0.2–1) → ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8 → Grayscale p 0.2 → PIL GaussianBlur(radius 0.1–2) p 0.5 → HFlip | 2 |
/// | `coreTuning` | Resize(side·272/256, bicubic) → Rotation(±15°) → RandomCrop(side) → HFlip | 1 |
/// | `fnc(supportViews: S)` | RRC(0.08–1, bicubic) → HFlip → ColorJitter(0.8, 0.8, 0.8, 0.2) p 0.8 → Grayscale p 0.2 → GaussianBlur(σ 0.1–2) p 0.5 | 2 + S |
/// | `weak` | RRC(0.2–1) → HFlip (linear evaluation, fine-tuning) | 1 |
/// | `none` | nothing (evaluation) | 1 |
///
/// Divergences, by design: FNC's blur (a zero-padded TF convolution with one σ per batch)
/// is torchvision's Gaussian blur here, with SimCLR's kernel of about a tenth of the
/// image side and one σ per image; FNC's TF crop sampler, its per-channel contrast mean
/// and its RandAugment step are replaced by torchvision's RandomResizedCrop and
/// ColorJitter, without RandAugment. MoCo v2's blur is PIL's, in Float32.
public enum AugmentationRecipe: Sendable, Equatable {
  case simclr
  case supcon
  case selfcon
  case mocoV2
  case coreTuning
  case fnc(supportViews: Int)
  case weak
  case none

  /// The command-line names: simclr, supcon, selfcon, moco-v2, core-tuning, fnc, weak, none.
  public static let names = [
    "simclr", "supcon", "selfcon", "moco-v2", "core-tuning", "fnc", "weak", "none",
  ]

  /// The recipe called `name` (FNC with `supportViews` support views).
  public init?(name: String, supportViews: Int = 8) {
    switch name {
    case "simclr": self = .simclr
    case "supcon": self = .supcon
    case "selfcon": self = .selfcon
    case "moco-v2": self = .mocoV2
    case "core-tuning": self = .coreTuning
    case "fnc": self = .fnc(supportViews: supportViews)
    case "weak": self = .weak
    case "none": self = .none
    default: return nil
    }
  }

  /// How many views of each image the method trains on.
  public var views: Int {
    switch self {
    case .simclr, .supcon, .mocoV2: 2
    case .fnc(let support): 2 + support
    case .selfcon, .coreTuning, .weak, .none: 1
    }
  }

  /// The pipeline for `height x width` images; `normalization` (per-channel mean and
  /// std) appends a `Normalize`.
  public func transform(height: Int, width: Int, normalization: (mean: [Float], std: [Float])?)
    -> Compose
  {
    let side = min(height, width)
    let blur = GaussianBlur(kernelSize: GaussianBlur.kernelSize(forSide: side), sigma: 0.1...2.0)
    let standardJitter = RandomApply(
      probability: 0.8, [ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1)])
    var steps: [any ImageTransform]
    switch self {
    case .simclr, .supcon, .selfcon:
      steps = [
        RandomResizedCrop(height: height, width: width, scale: 0.2...1), RandomHorizontalFlip(),
        standardJitter,
        RandomGrayscale(probability: 0.2),
      ]
    case .mocoV2:
      steps = [
        RandomResizedCrop(height: height, width: width, scale: 0.2...1), standardJitter,
        RandomGrayscale(probability: 0.2),
        RandomApply(probability: 0.5, [PILGaussianBlur(radius: 0.1...2.0)]), RandomHorizontalFlip(),
      ]
    case .coreTuning:
      let enlarged = Resize(
        .exact(height: (height * 272 + 128) / 256, width: (width * 272 + 128) / 256),
        interpolation: .bicubic)
      steps = [
        enlarged, RandomRotation(degrees: 15), RandomCrop(height: height, width: width),
        RandomHorizontalFlip(),
      ]
    case .fnc:
      steps = [
        RandomResizedCrop(height: height, width: width, scale: 0.08...1, interpolation: .bicubic),
        RandomHorizontalFlip(),
        RandomApply(
          probability: 0.8, [ColorJitter(brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2)]
        ),
        RandomGrayscale(probability: 0.2), RandomApply(probability: 0.5, [blur]),
      ]
    case .weak:
      steps = [
        RandomResizedCrop(height: height, width: width, scale: 0.2...1), RandomHorizontalFlip(),
      ]
    case .none:
      steps = []
    }
    if let normalization {
      steps.append(Normalize(mean: normalization.mean, std: normalization.std))
    }
    return Compose(steps)
  }
}
