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

extension StageAccount {
  /// Runs `body` on `classifier` with every call counted, and returns its result with an
  /// account named `name` holding the passes it made and the time it took.
  static func measuring<Base: AttackableClassifier, Result>(
    _ name: String, on classifier: Base, _ body: (CountingClassifier<Base>) -> Result
  ) -> (Result, StageAccount) {
    let counter = PassCounter()
    let clock = ContinuousClock()
    let started = clock.now
    let result = body(CountingClassifier(base: classifier, counter: counter))
    let elapsed = (clock.now - started).components
    var account = StageAccount(name: name)
    account.forwardPasses = counter.forward
    account.gradientPasses = counter.gradient
    account.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    return (result, account)
  }
}
