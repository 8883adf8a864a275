/// The norm that bounds an adversarial perturbation δ: ‖δ‖∞ ≤ ε or ‖δ‖₂ ≤ ε, in pixel
/// units of images in [0, 1].
public enum PerturbationNorm: String, Sendable, Codable, CaseIterable {
  case linf
  case l2
}
