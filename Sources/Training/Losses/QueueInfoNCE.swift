import Engine

/// MoCo's InfoNCE with a queue of negatives (shared/spec/methods.md §0.3): logits
/// [q·k, q·Q_1 … q·Q_K]/τ per query, the positive at index 0, and the cross-entropy of
/// index 0. Queries and keys are [b, d], the queue [K, d]; only the query (and a key
/// that depends on it, as Feature Transformation's k̂ does) carries a gradient.
public struct QueueInfoNCE: Sendable {
  public var temperature: Float

  public init(temperature: Float = 0.2) { self.temperature = temperature }

  /// The loss and the logits [b, 1 + K].
  public func callAsFunction(query: Tensor, key: Tensor, queue: Tensor) -> (loss: Tensor, logits: Tensor) {
    precondition(query.shape == key.shape && query.rank == 2 && queue.rank == 2 && queue.shape[1] == query.shape[1],
      "QueueInfoNCE: query and key [b, d], queue [K, d]")
    let positive = (query * key).sum(alongAxes: [1], keepingDimensions: true)
    let logits = Tensor.concatenate([positive, query.matmul(queue, transposeOther: true)], alongAxis: 1) * (1 / temperature)
    return (logits.crossEntropy(labels: Array(repeating: 0, count: query.shape[0])), logits)
  }
}
