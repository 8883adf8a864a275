/// Counts the examples a classifier is asked about, forward only and forward with
/// backward, so a staged attack can report the queries each stage spent.
final class PassCounter {
  var forward = 0
  var gradient = 0
}

/// `base`, with every call counted in `counter`.
struct CountingClassifier<Base: AttackableClassifier>: AttackableClassifier {
  let base: Base
  let counter: PassCounter

  var classCount: Int { base.classCount }
  var inputSize: Int { base.inputSize }

  func logits(_ images: [Float], count: Int) -> [Float] {
    counter.forward += count
    return base.logits(images, count: count)
  }

  func inputGradient(
    _ images: [Float], count: Int, outputGradient: ([Float]) -> [Float]
  ) -> (logits: [Float], gradient: [Float]) {
    counter.gradient += count
    return base.inputGradient(images, count: count, outputGradient: outputGradient)
  }
}
