/// One entry of the tape: how a tensor was made from its inputs, or (for a leaf) where
/// `backward()` accumulates its gradient.
final class GradientNode: @unchecked Sendable {
  /// Nodes of the op's inputs, in argument order; nil for inputs that need no gradient.
  let parents: [GradientNode?]
  /// Maps the gradient of the op's result to the gradients of its inputs (nil entries
  /// for inputs that need none). Nil for leaves, and for op nodes once released.
  var backward: ((Tensor) -> [Tensor?])?
  /// True for tensors made by `requiringGradient()` (parameters, attacked inputs).
  let isLeaf: Bool
  /// The gradient `backward()` has accumulated into this leaf.
  var gradient: Tensor?

  init(leaf: ()) {
    parents = []
    isLeaf = true
  }

  init(parents: [GradientNode?], backward: @escaping (Tensor) -> [Tensor?]) {
    self.parents = parents
    self.backward = backward
    isLeaf = false
  }
}

extension Tensor {
  /// Whether this tensor is on a tape, i.e. gradients can flow back from it.
  public var requiresGradient: Bool { node != nil }

  /// The same values as a new leaf of the tape: gradients with respect to it can be
  /// asked for, and `backward()` accumulates into its `gradient`.
  public func requiringGradient() -> Tensor {
    Tensor(shape: shape, storage: storage, node: GradientNode(leaf: ()))
  }

  /// The same values, cut off from the tape (PyTorch's `detach`, the papers' stop-gradient).
  public func detached() -> Tensor {
    Tensor(shape: shape, storage: storage)
  }

  /// The gradient `backward()` has accumulated into this leaf, if any.
  public var gradient: Tensor? { node?.gradient }

  /// Forgets the gradient accumulated into this leaf (all copies of the leaf share it).
  public func clearGradient() { node?.gradient = nil }

  /// Builds an op's result, recording `backward` on the tape when gradient recording is
  /// on and some input requires a gradient.
  static func result(
    _ storage: TensorStorage, shape: [Int], inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]
  ) -> Tensor {
    guard ComputeContext.current.recordsGradients, inputs.contains(where: { $0.node != nil }) else {
      return Tensor(shape: shape, storage: storage)
    }
    return Tensor(shape: shape, storage: storage, node: GradientNode(parents: inputs.map(\.node), backward: backward))
  }

  /// A tensor of `values` computed from `input` outside the engine's ops (across the
  /// processes of data-parallel training, say), on the tape when `input` is: `backward`
  /// maps the gradient of the result to the gradient of `input` (PyTorch's custom
  /// `autograd.Function`).
  public static func computed(
    from input: Tensor, shape: [Int], values: [Float], backward: @escaping (Tensor) -> Tensor
  ) -> Tensor {
    precondition(shape.reduce(1, *) == values.count, "Tensor.computed: shape \(shape) needs \(shape.reduce(1, *)) values")
    return result(TensorStorage(copying: values), shape: shape, inputs: [input]) { [backward($0)] }
  }

  /// Runs the chain rule from this scalar back to every leaf on its tape, adding each
  /// leaf's gradient to its `gradient` (PyTorch's `loss.backward()`; call it once per
  /// micro-batch for gradient accumulation).
  ///
  /// - Parameters:
  ///   - seed: the gradient of the final objective with respect to this tensor; by
  ///     default 1 (this tensor must then have one element).
  ///   - retainGraph: keep the tape for another pass; by default saved activations are
  ///     freed as the pass goes, as in PyTorch.
  public func backward(seed: Tensor? = nil, retainGraph: Bool = false) {
    _ = runTape(from: self, seed: seed, wanted: [], accumulateIntoLeaves: true, retainGraph: retainGraph)
  }
}

/// The gradients of `output` with respect to each of `inputs` (leaves or intermediate
/// results), without touching any leaf's accumulated `gradient`.
///
/// Inputs that `output` does not depend on get a zero gradient. `seed` is the gradient
/// flowing into `output` (default 1 for a one-element output); by default the tape is
/// released afterwards.
public func gradients(of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil, retainGraph: Bool = false) -> [Tensor] {
  for (i, input) in inputs.enumerated() {
    precondition(input.node != nil, "gradients(of:wrt:): input \(i) does not require a gradient (call requiringGradient())")
  }
  let found = runTape(
    from: output, seed: seed, wanted: Set(inputs.map { ObjectIdentifier($0.node!) }),
    accumulateIntoLeaves: false, retainGraph: retainGraph)
  return inputs.map { found[ObjectIdentifier($0.node!)] ?? Tensor(zeros: $0.shape) }
}

/// The reverse sweep shared by `backward()` and `gradients(of:wrt:)`: topological order
/// by depth-first search, then each node's backward closure in reverse order.
private func runTape(
  from output: Tensor, seed: Tensor?, wanted: Set<ObjectIdentifier>, accumulateIntoLeaves: Bool, retainGraph: Bool
) -> [ObjectIdentifier: Tensor] {
  guard let root = output.node else {
    preconditionFailure("backward: the tensor does not require a gradient (no input on its tape requires one)")
  }
  let seed = seed ?? {
    precondition(output.count == 1, "backward: a seed gradient is needed for a tensor of shape \(output.shape)")
    return Tensor(ones: output.shape)
  }()
  precondition(seed.shape == output.shape, "backward: seed shape \(seed.shape) differs from \(output.shape)")

  var order: [GradientNode] = []
  var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
  var stack: [(node: GradientNode, next: Int)] = [(root, 0)]
  while let top = stack.last {
    if top.next < top.node.parents.count {
      stack[stack.count - 1].next += 1
      if let parent = top.node.parents[top.next], visited.insert(ObjectIdentifier(parent)).inserted {
        stack.append((parent, 0))
      }
    } else {
      order.append(top.node)
      stack.removeLast()
    }
  }

  return withoutGradients {
    var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed.detached()]
    var found: [ObjectIdentifier: Tensor] = [:]
    for node in order.reversed() {
      let id = ObjectIdentifier(node)
      guard let gradient = pending.removeValue(forKey: id) else { continue }
      if wanted.contains(id) { found[id] = gradient }
      if node.isLeaf {
        if accumulateIntoLeaves { node.gradient = node.gradient.map { $0 + gradient } ?? gradient }
        continue
      }
      guard let backward = node.backward else {
        preconditionFailure("backward: the tape was already released; pass retainGraph: true to run it twice")
      }
      let inputGradients = backward(gradient)
      if !retainGraph { node.backward = nil }
      for (parent, inputGradient) in zip(node.parents, inputGradients) {
        guard let parent, let inputGradient else { continue }
        let parentID = ObjectIdentifier(parent)
        pending[parentID] = pending[parentID].map { $0 + inputGradient } ?? inputGradient
      }
    }
    return found
  }
}
