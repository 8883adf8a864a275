import Engine

extension ProcessGroup {
  /// The embeddings of the global batch, view-major as one process holding the whole
  /// batch would have them, from this rank's view-major `local` [V·b, d]: view v of
  /// rank r's image i is row v·B + r·b + i. Other ranks' rows are constants and this
  /// rank's stay on the tape, so a loss over the whole batch, computed by every rank,
  /// sends each rank exactly the gradient of its own rows (FNC, whose detection needs
  /// every view against the whole batch; `gatherRows` splits the loss instead).
  public func gatherViews(_ local: Tensor, views: Int) -> Tensor {
    guard size > 1 else { return local }
    let (rows, width) = (local.shape[0], local.shape[1])
    precondition(rows % views == 0, "gatherViews: \(rows) rows are not \(views) whole views")
    let b = rows / views
    let all = allGather(local.detached().scalars, "the embedding all-gather")
    var parts = [Tensor]()
    for view in 0..<views {
      for other in 0..<size {
        let range = (view * b)..<((view + 1) * b)
        if other == rank {
          parts.append(local.slice(alongAxis: 0, range))
        } else {
          let start = (other * rows + range.lowerBound) * width
          parts.append(Tensor(shape: [b, width], scalars: Array(all[start..<(start + b * width)])))
        }
      }
    }
    return Tensor.concatenate(parts, alongAxis: 0)
  }

  /// Every rank's `local` rows [n, d], concatenated in rank order, on the tape: the
  /// backward pass sums the gradient of the whole result over the ranks and keeps this
  /// rank's rows (the GatherLayer of SimCLR's multi-device PyTorch ports). A loss over
  /// this rank's anchors against every rank's rows thus sends each rank exactly the
  /// gradient its rows get from all the ranks' losses.
  public func gatherRows(_ local: Tensor) -> Tensor {
    guard size > 1 else { return local }
    let (rows, width) = (local.shape[0], local.shape[1])
    let all = allGather(local.detached().scalars, "the embedding all-gather")
    return Tensor.computed(from: local, shape: [rows * size, width], values: all) { gradient in
      var summed = gradient.scalars
      self.allReduceSum(&summed, "the embedding-gradient all-reduce")
      let start = self.rank * rows * width
      return Tensor(shape: [rows, width], scalars: Array(summed[start..<(start + rows * width)]))
    }
  }

  /// The labels of the global batch, in rank order.
  public func gatherLabels(_ labels: [Int]) -> [Int] {
    guard size > 1 else { return labels }
    return allGather(labels.map { Int64($0) }, "the label all-gather").map { Int($0) }
  }
}
