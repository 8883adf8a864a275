/// A classifier that adversarial attacks can query: logits for a batch of images, and
/// the gradient of a loss on those logits with respect to the input pixels.
///
/// Images are `[count, inputSize]` row-major `Float`s in pixel space [0, 1] (for an image
/// model, each row is one CHW image). Any dataset normalisation (mean/std) happens
/// inside the classifier, so that ε is always measured in pixel units, and the model is
/// queried in evaluation mode (BatchNorm running statistics, no dropout): an attack must
/// see the same function the accuracy is measured on.
///
/// ```swift
/// let logits = model.logits(images, count: 8)                 // [8 * classCount]
/// let (z, g) = model.inputGradient(images, count: 8) { z in   // ∂(Σᵢ lossᵢ)/∂images
///   CrossEntropy(logits: z, labels: labels, classCount: model.classCount).logitGradient
/// }
/// ```
public protocol AttackableClassifier {
  /// Number of classes, i.e. logits per example.
  var classCount: Int { get }
  /// Values per example (C·H·W for images).
  var inputSize: Int { get }
  /// Logits `[count, classCount]` of `count` examples.
  func logits(_ images: [Float], count: Int) -> [Float]
  /// Runs the model forward, asks `outputGradient` for ∂L/∂logits given the logits, and
  /// returns the logits together with ∂L/∂images (`[count, inputSize]`). L is a sum of
  /// per-example losses, so each row of the result is that example's own gradient.
  func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float])
}
