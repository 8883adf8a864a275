import Foundation

extension Tensor {
  /// The same values with a new shape of the same element count (no copy); one
  /// dimension may be -1 and is then inferred.
  public func reshaped(to newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let unknown = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != unknown }.map(\.element).product
      precondition(known > 0 && count % known == 0, "reshaped: cannot infer -1 in \(newShape) for \(count) elements")
      resolved[unknown] = count / known
    }
    precondition(resolved.product == count, "reshaped: shape \(newShape) does not hold \(count) elements of \(shape)")
    if resolved == shape { return self }
    let original = shape
    return Tensor.result(storage, shape: resolved, inputs: [self]) { g in [g.reshaped(to: original)] }
  }

  /// Merges every dimension from `startAxis` on into one (PyTorch's `flatten(1)` by default).
  public func flattened(from startAxis: Int = 1) -> Tensor {
    let start = normalizedAxis(startAxis, rank: rank, "flattened")
    return reshaped(to: Array(shape[..<start]) + [shape[start...].product])
  }

  /// A size-1 dimension inserted at `axis`.
  public func expandingShape(at axis: Int) -> Tensor {
    let axis = axis < 0 ? axis + rank + 1 : axis
    precondition(axis >= 0 && axis <= rank, "expandingShape: axis out of range")
    var newShape = shape
    newShape.insert(1, at: axis)
    return reshaped(to: newShape)
  }

  /// The values repeated along broadcast dimensions to fill `target` (NumPy rules).
  public func broadcast(to target: [Int]) -> Tensor {
    if shape == target { return self }
    let layout = BroadcastLayout(shape, target, op: "broadcast")
    precondition(layout.shape == target, "broadcast: \(shape) cannot broadcast to \(target)")
    let filled = TensorStorage(uninitializedCount: target.product)
    let inner = layout.dims.last!
    let innerStride = layout.stridesA.last!
    let outerDims = Array(layout.dims.dropLast())
    let outerStrides = Array(layout.stridesA.dropLast())
    for row in 0..<outerDims.product {
      var rest = row
      var offset = 0
      for d in stride(from: outerDims.count - 1, through: 0, by: -1) {
        offset += (rest % outerDims[d]) * outerStrides[d]
        rest /= outerDims[d]
      }
      let dst = filled.pointer + row * inner
      if innerStride == 1 {
        memcpy(dst, storage.pointer + offset, inner * 4)
      } else {
        dst.initialize(repeating: storage.pointer[offset], count: inner)
      }
    }
    return Tensor.result(filled, shape: target, inputs: [self]) { g in [g.summed(toShape: self.shape)] }
  }

  /// The transpose of a matrix.
  public func transposed() -> Tensor {
    precondition(rank == 2, "transposed: needs a matrix, got shape \(shape)")
    return permuted([1, 0])
  }

  /// The dimensions reordered: result dimension i is this tensor's dimension `axes[i]`.
  public func permuted(_ axes: [Int]) -> Tensor {
    precondition(axes.sorted() == Array(0..<rank), "permuted: \(axes) is not a permutation of 0..<\(rank)")
    let newShape = axes.map { shape[$0] }
    var inStrides = [Int](repeating: 1, count: rank)
    for d in stride(from: rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
    let strides = axes.map { inStrides[$0] }
    let out = TensorStorage(uninitializedCount: count)
    let src = storage.pointer
    if count > 0 {
      var index = [Int](repeating: 0, count: rank)
      var offset = 0
      let last = rank - 1
      var position = 0
      while position < count {
        // Copy one run along the last result dimension.
        let n = newShape[last]
        let s = strides[last]
        for i in 0..<n { out.pointer[position + i] = src[offset + i * s] }
        position += n
        var d = last - 1
        while d >= 0 {
          index[d] += 1
          offset += strides[d]
          if index[d] < newShape[d] { break }
          offset -= strides[d] * newShape[d]
          index[d] = 0
          d -= 1
        }
        if d < 0 { break }
      }
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, a) in axes.enumerated() { inverse[a] = i }
    return Tensor.result(out, shape: newShape, inputs: [self]) { g in [g.permuted(inverse)] }
  }

  /// The elements with index in `range` along `axis`.
  public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "slice")
    precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice: \(range) out of bounds for size \(shape[axis])")
    let layout = AxisLayout(shape, axis: axis)
    var newShape = shape
    newShape[axis] = range.count
    let out = TensorStorage(uninitializedCount: newShape.product)
    let run = range.count * layout.inner
    for o in 0..<layout.outer {
      memcpy(out.pointer + o * run, storage.pointer + (o * layout.size + range.lowerBound) * layout.inner, run * 4)
    }
    let original = shape
    return Tensor.result(out, shape: newShape, inputs: [self]) { g in
      let before = Tensor(zeros: { var s = original; s[axis] = range.lowerBound; return s }())
      let after = Tensor(zeros: { var s = original; s[axis] = original[axis] - range.upperBound; return s }())
      return [Tensor.concatenate([before, g, after], alongAxis: axis)]
    }
  }

  /// Splits along `axis` into pieces of the given sizes (which must add up to its size).
  public func split(sizes: [Int], alongAxis axis: Int) -> [Tensor] {
    let axis = normalizedAxis(axis, rank: rank, "split")
    precondition(sizes.reduce(0, +) == shape[axis], "split: sizes \(sizes) do not add up to \(shape[axis])")
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return slice(alongAxis: axis, start..<(start + size))
    }
  }

  /// The sub-tensors along `axis`, each without that dimension (PyTorch's `unbind`).
  public func unstacked(alongAxis axis: Int = 0) -> [Tensor] {
    let axis = normalizedAxis(axis, rank: rank, "unstacked")
    var reduced = shape
    reduced.remove(at: axis)
    return split(sizes: Array(repeating: 1, count: shape[axis]), alongAxis: axis).map { $0.reshaped(to: reduced) }
  }

  /// Tensors joined along an existing axis; all other dimensions must agree.
  public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concatenate: no tensors")
    let first = tensors[0]
    let axis = normalizedAxis(axis, rank: first.rank, "concatenate")
    for t in tensors {
      precondition(t.rank == first.rank && t.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first.shape[$0.offset] },
        "concatenate: shapes \(tensors.map(\.shape)) differ outside axis \(axis)")
    }
    let sizes = tensors.map { $0.shape[axis] }
    var newShape = first.shape
    newShape[axis] = sizes.reduce(0, +)
    let outer = first.shape[..<axis].reduce(1, *)
    let inner = first.shape[(axis + 1)...].reduce(1, *)
    let out = TensorStorage(uninitializedCount: newShape.product)
    let rowLength = newShape[axis] * inner
    var offset = 0
    for (t, size) in zip(tensors, sizes) {
      let run = size * inner
      for o in 0..<outer { memcpy(out.pointer + o * rowLength + offset, t.storage.pointer + o * run, run * 4) }
      offset += run
    }
    return result(out, shape: newShape, inputs: tensors) { g in
      let pieces = g.split(sizes: sizes, alongAxis: axis)
      return zip(tensors, pieces).map { $0.requiresGradient ? $1 : nil }
    }
  }

  /// Tensors of equal shape joined along a new axis.
  public static func stack(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
    precondition(!tensors.isEmpty, "stack: no tensors")
    precondition(tensors.allSatisfy { $0.shape == tensors[0].shape }, "stack: shapes differ: \(tensors.map(\.shape))")
    return concatenate(tensors.map { $0.expandingShape(at: axis) }, alongAxis: axis)
  }

  /// The slices at `indices` along `axis`, in that order (PyTorch's `index_select`);
  /// indices may repeat. The gradient adds back into the selected slices.
  public func indexSelect(alongAxis axis: Int = 0, _ indices: [Int]) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "indexSelect")
    let layout = AxisLayout(shape, axis: axis)
    for index in indices {
      precondition(index >= 0 && index < layout.size, "indexSelect: index \(index) out of range for size \(layout.size)")
    }
    var newShape = shape
    newShape[axis] = indices.count
    let out = TensorStorage(uninitializedCount: newShape.product)
    for o in 0..<layout.outer {
      for (j, index) in indices.enumerated() {
        memcpy(out.pointer + (o * indices.count + j) * layout.inner,
          storage.pointer + (o * layout.size + index) * layout.inner, layout.inner * 4)
      }
    }
    let original = shape
    return Tensor.result(out, shape: newShape, inputs: [self]) { g in
      let grad = TensorStorage(count: original.product, repeating: 0)
      for o in 0..<layout.outer {
        for (j, index) in indices.enumerated() {
          let src = g.storage.pointer + (o * indices.count + j) * layout.inner
          let dst = grad.pointer + (o * layout.size + index) * layout.inner
          for i in 0..<layout.inner { dst[i] += src[i] }
        }
      }
      return [Tensor(shape: original, storage: grad)]
    }
  }

  /// PyTorch's `gather`: result[..., j, ...] = self[..., indices[..., j, ...], ...] along
  /// `axis`; `indices` is row-major with shape `indexShape`, which equals this tensor's
  /// shape except along `axis`. The gradient scatters back (adding on repeats).
  public func gather(alongAxis axis: Int, indices: [Int], indexShape: [Int]) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "gather")
    precondition(indexShape.count == rank && indexShape.enumerated().allSatisfy { $0.offset == axis || $0.element == shape[$0.offset] },
      "gather: index shape \(indexShape) must match \(shape) outside axis \(axis)")
    precondition(indices.count == indexShape.product, "gather: \(indices.count) indices for index shape \(indexShape)")
    let layout = AxisLayout(shape, axis: axis)
    let k = indexShape[axis]
    for index in indices {
      precondition(index >= 0 && index < layout.size, "gather: index \(index) out of range for size \(layout.size)")
    }
    let out = TensorStorage(uninitializedCount: indices.count)
    for o in 0..<layout.outer {
      for j in 0..<k {
        for i in 0..<layout.inner {
          let p = (o * k + j) * layout.inner + i
          out.pointer[p] = storage.pointer[(o * layout.size + indices[p]) * layout.inner + i]
        }
      }
    }
    let original = shape
    return Tensor.result(out, shape: indexShape, inputs: [self]) { g in
      let grad = TensorStorage(count: original.product, repeating: 0)
      for o in 0..<layout.outer {
        for j in 0..<k {
          for i in 0..<layout.inner {
            let p = (o * k + j) * layout.inner + i
            grad.pointer[(o * layout.size + indices[p]) * layout.inner + i] += g.storage.pointer[p]
          }
        }
      }
      return [Tensor(shape: original, storage: grad)]
    }
  }
}
