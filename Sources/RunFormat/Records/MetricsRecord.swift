/// One logged step of training (a line of `metrics.jsonl`):
/// `{"step", "epoch", "loss", "lr", "accuracy", "images_per_second", "loss_<part>"..., <other numbers>}`.
public struct MetricsRecord: Sendable, Equatable, Codable {
  /// Training step (optimizer updates done), counted from 0.
  public var step: Int
  /// Fractional epoch, when logged.
  public var epoch: Double?
  /// The total loss.
  public var loss: Double
  /// The learning rate (`lr` in the file).
  public var learningRate: Double?
  /// Training or evaluation accuracy, as a fraction or in percent.
  public var accuracy: Double?
  /// Training throughput over the logging interval.
  public var imagesPerSecond: Double?
  /// The parts of the loss, by name (`loss_<name>` in the file).
  public var lossParts: [String: Double]
  /// Any other number on the line (e.g. `knn_accuracy`), by its key.
  public var values: [String: Double]

  public init(
    step: Int, epoch: Double? = nil, loss: Double, learningRate: Double? = nil, accuracy: Double? = nil,
    imagesPerSecond: Double? = nil, lossParts: [String: Double] = [:], values: [String: Double] = [:]
  ) {
    self.step = step
    self.epoch = epoch
    self.loss = loss
    self.learningRate = learningRate
    self.accuracy = accuracy
    self.imagesPerSecond = imagesPerSecond
    self.lossParts = lossParts
    self.values = values
  }

  private static let named = ["step", "epoch", "loss", "lr", "accuracy", "images_per_second"]

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    step = try container.decode(Int.self, forKey: AnyKey("step"))
    epoch = try container.decodeIfPresent(Double.self, forKey: AnyKey("epoch"))
    loss = try container.decode(Double.self, forKey: AnyKey("loss"))
    learningRate = try container.decodeIfPresent(Double.self, forKey: AnyKey("lr"))
    accuracy = try container.decodeIfPresent(Double.self, forKey: AnyKey("accuracy"))
    imagesPerSecond = try container.decodeIfPresent(Double.self, forKey: AnyKey("images_per_second"))
    lossParts = [:]
    values = [:]
    for key in container.allKeys where !Self.named.contains(key.stringValue) {
      if key.stringValue.hasPrefix("loss_") {
        lossParts[String(key.stringValue.dropFirst(5))] = try container.decode(Double.self, forKey: key)
      } else if let number = try? container.decode(Double.self, forKey: key) {
        values[key.stringValue] = number
      }
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: AnyKey.self)
    try container.encode(step, forKey: AnyKey("step"))
    try container.encodeIfPresent(epoch, forKey: AnyKey("epoch"))
    try container.encode(loss, forKey: AnyKey("loss"))
    try container.encodeIfPresent(learningRate, forKey: AnyKey("lr"))
    try container.encodeIfPresent(accuracy, forKey: AnyKey("accuracy"))
    try container.encodeIfPresent(imagesPerSecond, forKey: AnyKey("images_per_second"))
    for (name, value) in lossParts { try container.encode(value, forKey: AnyKey("loss_" + name)) }
    for (name, value) in values { try container.encode(value, forKey: AnyKey(name)) }
  }
}

/// A coding key for any name (the `loss_<name>` keys of metrics).
struct AnyKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(_ name: String) { stringValue = name }
  init?(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}
