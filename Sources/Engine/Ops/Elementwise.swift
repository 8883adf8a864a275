import Foundation

/// An elementwise function of one value, specialised into the loops that apply it.
protocol UnaryKernel: SendableMetatype { static func apply(_ x: Float) -> Float }
/// An elementwise function of two values, specialised into the broadcasting loops.
protocol BinaryKernel: SendableMetatype { static func apply(_ a: Float, _ b: Float) -> Float }

enum AddKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubtractKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MultiplyKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivideKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
enum ExpKernel: UnaryKernel { @inline(__always) static func apply(_ x: Float) -> Float { Foundation.exp(x) } }
enum LogKernel: UnaryKernel { @inline(__always) static func apply(_ x: Float) -> Float { Foundation.log(x) } }
enum SqrtKernel: UnaryKernel { @inline(__always) static func apply(_ x: Float) -> Float { x.squareRoot() } }
enum SquareKernel: UnaryKernel { @inline(__always) static func apply(_ x: Float) -> Float { x * x } }
enum ReLUKernel: UnaryKernel { @inline(__always) static func apply(_ x: Float) -> Float { x > 0 ? x : 0 } }
enum NegateKernel: UnaryKernel { @inline(__always) static func apply(_ x: Float) -> Float { -x } }
/// ReLU's backward: the incoming gradient where the output is positive.
enum ReLUGradientKernel: BinaryKernel {
  @inline(__always) static func apply(_ dy: Float, _ out: Float) -> Float { out > 0 ? dy : 0 }
}

/// Applies `K` to every element, splitting large tensors over the context's threads.
func mapUnary<K: UnaryKernel>(_ x: Tensor, _: K.Type) -> TensorStorage {
  let out = TensorStorage(uninitializedCount: x.count)
  let src = ConstPointer(x)
  let dst = SendablePointer(out)
  forEachRange(x.count) { range in
    for i in range { dst.base[i] = K.apply(src.base[i]) }
  }
  return out
}

/// Applies `f` to every element (for kernels that capture values, such as scalars).
func mapUnary(_ x: Tensor, _ f: @escaping @Sendable (Float) -> Float) -> TensorStorage {
  let out = TensorStorage(uninitializedCount: x.count)
  let src = ConstPointer(x)
  let dst = SendablePointer(out)
  forEachRange(x.count) { range in
    for i in range { dst.base[i] = f(src.base[i]) }
  }
  return out
}

/// Combines two same-sized buffers elementwise.
func mapBinary(_ a: Tensor, _ b: Tensor, _ f: @escaping @Sendable (Float, Float) -> Float) -> TensorStorage {
  precondition(a.count == b.count, "elementwise op: \(a.count) vs \(b.count) elements")
  let out = TensorStorage(uninitializedCount: a.count)
  let pa = ConstPointer(a)
  let pb = ConstPointer(b)
  let dst = SendablePointer(out)
  forEachRange(a.count) { range in
    for i in range { dst.base[i] = f(pa.base[i], pb.base[i]) }
  }
  return out
}

/// How two shapes broadcast (NumPy rules): the result shape, and the operands' strides
/// over the result after adjacent dimensions with the same broadcast pattern are merged.
struct BroadcastLayout {
  let shape: [Int]
  /// Merged dimensions of the result.
  let dims: [Int]
  let stridesA: [Int]
  let stridesB: [Int]

  init(_ a: [Int], _ b: [Int], op: String) {
    let rank = max(a.count, b.count)
    let pa = Array(repeating: 1, count: rank - a.count) + a
    let pb = Array(repeating: 1, count: rank - b.count) + b
    var shape = [Int]()
    for (x, y) in zip(pa, pb) {
      precondition(x == y || x == 1 || y == 1, "\(op): shapes \(a) and \(b) cannot be broadcast together")
      shape.append(x == 1 ? y : x)
    }
    self.shape = shape
    // Merge runs of dimensions where each operand is either fully present or fully broadcast.
    var dims = [Int]()
    var keepA = [Bool]()
    var keepB = [Bool]()
    for i in 0..<rank where shape[i] != 1 {
      let ka = pa[i] != 1
      let kb = pb[i] != 1
      if let last = dims.indices.last, keepA[last] == ka, keepB[last] == kb {
        dims[last] *= shape[i]
      } else {
        dims.append(shape[i])
        keepA.append(ka)
        keepB.append(kb)
      }
    }
    if dims.isEmpty {
      dims = [1]
      keepA = [true]
      keepB = [true]
    }
    func strides(_ keep: [Bool]) -> [Int] {
      var result = Array(repeating: 0, count: dims.count)
      var running = 1
      for i in stride(from: dims.count - 1, through: 0, by: -1) where keep[i] {
        result[i] = running
        running *= dims[i]
      }
      return result
    }
    self.dims = dims
    stridesA = strides(keepA)
    stridesB = strides(keepB)
  }
}

/// `K` applied to `a` and `b` broadcast together.
func broadcastBinary<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _: K.Type, op: String) -> (TensorStorage, [Int]) {
  if a.shape == b.shape {
    let out = TensorStorage(uninitializedCount: a.count)
    let pa = ConstPointer(a)
    let pb = ConstPointer(b)
    let dst = SendablePointer(out)
    forEachRange(a.count) { range in
      for i in range { dst.base[i] = K.apply(pa.base[i], pb.base[i]) }
    }
    return (out, a.shape)
  }
  let layout = BroadcastLayout(a.shape, b.shape, op: op)
  let count = layout.shape.product
  let out = TensorStorage(uninitializedCount: count)
  let inner = layout.dims.last!
  let innerA = layout.stridesA.last!
  let innerB = layout.stridesB.last!
  let outerDims = Array(layout.dims.dropLast())
  let outerA = Array(layout.stridesA.dropLast())
  let outerB = Array(layout.stridesB.dropLast())
  let rows = outerDims.product
  let pa = ConstPointer(a)
  let pb = ConstPointer(b)
  let dst = SendablePointer(out)
  forEachRange(rows, minimumPerThread: max(1, 32_768 / max(inner, 1))) { range in
    for row in range {
      var rest = row
      var offA = 0
      var offB = 0
      for d in stride(from: outerDims.count - 1, through: 0, by: -1) {
        let index = rest % outerDims[d]
        rest /= outerDims[d]
        offA += index * outerA[d]
        offB += index * outerB[d]
      }
      let x = pa.base + offA
      let y = pb.base + offB
      let z = dst.base + row * inner
      switch (innerA, innerB) {
      case (1, 1): for i in 0..<inner { z[i] = K.apply(x[i], y[i]) }
      case (1, 0):
        let v = y[0]
        for i in 0..<inner { z[i] = K.apply(x[i], v) }
      case (0, 1):
        let v = x[0]
        for i in 0..<inner { z[i] = K.apply(v, y[i]) }
      default:
        let v = K.apply(x[0], y[0])
        for i in 0..<inner { z[i] = v }
      }
    }
  }
  return (out, layout.shape)
}

extension Tensor {
  /// This tensor summed over the dimensions that were broadcast to reach its shape from
  /// `target`: the gradient rule of broadcasting.
  func summed(toShape target: [Int]) -> Tensor {
    if shape == target { return self }
    var result = self
    let extra = rank - target.count
    precondition(extra >= 0, "summed(toShape:): \(shape) cannot reduce to \(target)")
    for axis in 0..<rank {
      let targetSize = axis < extra ? 1 : target[axis - extra]
      if targetSize == 1 && shape[axis] != 1 { result = result.sum(alongAxes: [axis], keepingDimensions: true) }
    }
    return result.reshaped(to: target)
  }

  /// Elementwise sum, broadcasting shapes as NumPy does.
  public static func + (a: Tensor, b: Tensor) -> Tensor {
    let (storage, shape) = broadcastBinary(a, b, AddKernel.self, op: "+")
    return result(storage, shape: shape, inputs: [a, b]) { g in
      [a.requiresGradient ? g.summed(toShape: a.shape) : nil, b.requiresGradient ? g.summed(toShape: b.shape) : nil]
    }
  }

  /// Elementwise difference, broadcasting.
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    let (storage, shape) = broadcastBinary(a, b, SubtractKernel.self, op: "-")
    return result(storage, shape: shape, inputs: [a, b]) { g in
      [a.requiresGradient ? g.summed(toShape: a.shape) : nil, b.requiresGradient ? (-g).summed(toShape: b.shape) : nil]
    }
  }

  /// Elementwise product, broadcasting.
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    let (storage, shape) = broadcastBinary(a, b, MultiplyKernel.self, op: "*")
    return result(storage, shape: shape, inputs: [a, b]) { g in
      [
        a.requiresGradient ? (g * b.detached()).summed(toShape: a.shape) : nil,
        b.requiresGradient ? (g * a.detached()).summed(toShape: b.shape) : nil,
      ]
    }
  }

  /// Elementwise quotient, broadcasting.
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    let (storage, shape) = broadcastBinary(a, b, DivideKernel.self, op: "/")
    return result(storage, shape: shape, inputs: [a, b]) { g in
      let bb = b.detached()
      return [
        a.requiresGradient ? (g / bb).summed(toShape: a.shape) : nil,
        b.requiresGradient ? (-(g * a.detached()) / (bb * bb)).summed(toShape: b.shape) : nil,
      ]
    }
  }

  /// Elementwise negation.
  public static prefix func - (x: Tensor) -> Tensor {
    result(mapUnary(x, NegateKernel.self), shape: x.shape, inputs: [x]) { g in [-g] }
  }

  /// Adds a constant to every element.
  public static func + (x: Tensor, c: Float) -> Tensor {
    result(mapUnary(x) { $0 + c }, shape: x.shape, inputs: [x]) { g in [g] }
  }

  /// Adds a constant to every element.
  public static func + (c: Float, x: Tensor) -> Tensor { x + c }

  /// Subtracts a constant from every element.
  public static func - (x: Tensor, c: Float) -> Tensor { x + (-c) }

  /// A constant minus every element.
  public static func - (c: Float, x: Tensor) -> Tensor {
    result(mapUnary(x) { c - $0 }, shape: x.shape, inputs: [x]) { g in [-g] }
  }

  /// Multiplies every element by a constant.
  public static func * (x: Tensor, c: Float) -> Tensor {
    result(mapUnary(x) { $0 * c }, shape: x.shape, inputs: [x]) { g in [g * c] }
  }

  /// Multiplies every element by a constant.
  public static func * (c: Float, x: Tensor) -> Tensor { x * c }

  /// Divides every element by a constant.
  public static func / (x: Tensor, c: Float) -> Tensor {
    result(mapUnary(x) { $0 / c }, shape: x.shape, inputs: [x]) { g in [g / c] }
  }

  /// A constant divided by every element.
  public static func / (c: Float, x: Tensor) -> Tensor {
    result(mapUnary(x) { c / $0 }, shape: x.shape, inputs: [x]) { g in
      let xx = x.detached()
      return [-(g * c) / (xx * xx)]
    }
  }

  /// Elementwise e^x.
  public func exp() -> Tensor {
    let y = Tensor(shape: shape, storage: mapUnary(self, ExpKernel.self))
    return Tensor.result(y.storage, shape: shape, inputs: [self]) { g in [g * y] }
  }

  /// Elementwise natural logarithm.
  public func log() -> Tensor {
    Tensor.result(mapUnary(self, LogKernel.self), shape: shape, inputs: [self]) { g in [g / self.detached()] }
  }

  /// Elementwise square root.
  public func squareRoot() -> Tensor {
    let y = Tensor(shape: shape, storage: mapUnary(self, SqrtKernel.self))
    return Tensor.result(y.storage, shape: shape, inputs: [self]) { g in [g * 0.5 / y] }
  }

  /// Elementwise x².
  public func squared() -> Tensor {
    Tensor.result(mapUnary(self, SquareKernel.self), shape: shape, inputs: [self]) { g in [g * self.detached() * 2] }
  }

  /// Elementwise max(x, 0).
  public func relu() -> Tensor {
    let y = Tensor(shape: shape, storage: mapUnary(self, ReLUKernel.self))
    return Tensor.result(y.storage, shape: shape, inputs: [self]) { g in
      [Tensor(shape: g.shape, storage: broadcastBinary(g, y, ReLUGradientKernel.self, op: "relu").0)]
    }
  }

  /// Elementwise clip to [low, high] (PyTorch's `clamp`: the gradient passes where
  /// low ≤ x ≤ high).
  public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
    let storage = mapUnary(self) { Swift.min(Swift.max($0, low), high) }
    return Tensor.result(storage, shape: shape, inputs: [self]) { g in
      [Tensor(shape: g.shape, storage: mapBinary(g, self) { dy, x in x >= low && x <= high ? dy : 0 })]
    }
  }

  /// Elementwise absolute value (gradient sign(x), 0 at 0).
  public func abs() -> Tensor {
    Tensor.result(mapUnary(self) { Swift.abs($0) }, shape: shape, inputs: [self]) { g in
      [Tensor(shape: g.shape, storage: mapBinary(g, self) { dy, x in x > 0 ? dy : (x < 0 ? -dy : 0) })]
    }
  }
}
