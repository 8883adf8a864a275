/// How tensor ops run on the current task: how many threads they may use and whether
/// they record the tape for reverse-mode differentiation.
///
/// The context is a task-local value, never a global: `withThreads` and
/// `withoutGradients` change it for the duration of a closure only, so two computations
/// in one process (a training loop and an evaluation, two tests) cannot disturb each other.
///
/// ```swift
/// let logits = withoutGradients { model(images) }          // evaluation: no tape
/// try withThreads(ThreadCount(2)) { try trainOneEpoch() }   // at most 2 threads
/// ```
public struct ComputeContext: Sendable {
  /// Threads each op may use (ops split their work into per-thread chunks).
  public var threads: ThreadCount
  /// Whether ops record how to differentiate their results.
  public var recordsGradients: Bool
  /// Whether module parameters act as constants (no tape leaves), so a backward pass
  /// computes gradients for inputs only.
  public var freezesParameters: Bool = false

  /// The context of the current task: all cores and gradient recording by default.
  @TaskLocal public static var current = ComputeContext(threads: .available, recordsGradients: true)
}

/// Runs `body` without recording gradients (PyTorch's `torch.no_grad()`): results have no
/// tape, which saves the memory of saved activations.
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
  var context = ComputeContext.current
  context.recordsGradients = false
  return try ComputeContext.$current.withValue(context, operation: body)
}

/// Runs `body` with tensor ops limited to `threads` threads.
public func withThreads<Result>(_ threads: ThreadCount, _ body: () throws -> Result) rethrows -> Result {
  var context = ComputeContext.current
  context.threads = threads
  return try ComputeContext.$current.withValue(context, operation: body)
}

/// Runs `body` with every module parameter treated as a constant (PyTorch's
/// `requires_grad_(False)` on all parameters, undone when `body` returns): gradients still
/// flow to inputs that require them, but no weight gradient is computed. Adversarial
/// attacks and frozen backbones need only input gradients, and skipping the weight
/// gradients roughly halves a backward pass.
public func withFrozenParameters<Result>(_ body: () throws -> Result) rethrows -> Result {
  var context = ComputeContext.current
  context.freezesParameters = true
  return try ComputeContext.$current.withValue(context, operation: body)
}
