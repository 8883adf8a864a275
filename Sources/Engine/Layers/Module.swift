/// A building block of a model with named parameters, buffers and child modules, in
/// the order and with the names PyTorch uses (`layer1.0.conv1.weight`), so weights move
/// between ContrastLens and PyTorch through safetensors unchanged.
///
/// Modules are classes: a model is one object graph that optimizers, EMA copies and
/// state-dict loading update in place. Conforming types list their own state; the
/// extension derives the recursive views (`namedParameters()`, `stateDict()`, ...).
public protocol Module: AnyObject {
  /// Training mode (batch statistics in BatchNorm) or evaluation mode.
  var isTraining: Bool { get set }
  /// This module's own parameters, in registration order.
  var ownParameters: [(name: String, parameter: Parameter)] { get }
  /// This module's own buffers, in registration order.
  var ownBuffers: [(name: String, buffer: Buffer)] { get }
  /// Direct sub-modules, in registration order.
  var children: [(name: String, module: any Module)] { get }
}

/// A module mapping one tensor to one tensor.
public protocol Layer: Module {
  /// The forward pass.
  func callAsFunction(_ input: Tensor) -> Tensor
}

extension Module {
  public var ownParameters: [(name: String, parameter: Parameter)] { [] }
  public var ownBuffers: [(name: String, buffer: Buffer)] { [] }
  public var children: [(name: String, module: any Module)] { [] }

  /// This module and every descendant with its dotted path ("" for this module).
  public func namedModules() -> [(name: String, module: any Module)] {
    var result: [(name: String, module: any Module)] = [("", self)]
    for (name, child) in children {
      for (path, module) in child.namedModules() { result.append((path.isEmpty ? name : name + "." + path, module)) }
    }
    return result
  }

  /// Every parameter with its dotted name, in PyTorch's `named_parameters()` order.
  public func namedParameters() -> [(name: String, parameter: Parameter)] {
    namedModules().flatMap { path, module in
      module.ownParameters.map { (path.isEmpty ? $0.name : path + "." + $0.name, $0.parameter) }
    }
  }

  /// Every parameter, in `namedParameters()` order.
  public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

  /// Every buffer with its dotted name.
  public func namedBuffers() -> [(name: String, buffer: Buffer)] {
    namedModules().flatMap { path, module in
      module.ownBuffers.map { (path.isEmpty ? $0.name : path + "." + $0.name, $0.buffer) }
    }
  }

  /// Sets training (true) or evaluation (false) mode on this module and all descendants.
  public func setTraining(_ training: Bool) {
    for (_, module) in namedModules() { module.isTraining = training }
  }

  /// Forgets the gradients of all parameters.
  public func clearGradients() {
    for parameter in parameters() { parameter.clearGradient() }
  }

  /// Number of learnable values.
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

  /// Moves every parameter toward `source`'s: θ ← m·θ + (1 − m)·θ_source (MoCo's key
  /// encoder; buffers are left alone, as in the reference code). m = 0 copies.
  public func updateMovingAverage(toward source: any Module, momentum: Float) {
    let mine = namedParameters()
    let theirs = source.namedParameters()
    precondition(mine.map(\.name) == theirs.map(\.name) && zip(mine, theirs).allSatisfy { $0.parameter.shape == $1.parameter.shape },
      "updateMovingAverage: the two modules have different parameters")
    for (target, origin) in zip(mine, theirs) {
      origin.parameter.value.withUnsafeBufferPointer { src in
        target.parameter.update { dst in
          for i in 0..<dst.count { dst[i] = momentum * dst[i] + (1 - momentum) * src[i] }
        }
      }
    }
  }
}
