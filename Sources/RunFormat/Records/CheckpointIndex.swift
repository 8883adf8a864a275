import Engine

/// The checkpoints of a run (`checkpoints/index.json`), oldest first; `last.safetensors`
/// is always the newest.
public struct CheckpointIndex: Sendable, Equatable, Codable {
  /// One saved checkpoint.
  public struct Entry: Sendable, Equatable, Codable {
    /// File name inside `checkpoints/`.
    public var file: String
    /// Optimizer steps done when it was saved.
    public var step: Int
    /// Completed epochs (fractional mid-epoch).
    public var epoch: Double

    public init(file: String, step: Int, epoch: Double) {
      self.file = file
      self.step = step
      self.epoch = epoch
    }
  }

  public var checkpoints: [Entry]

  public init(checkpoints: [Entry] = []) { self.checkpoints = checkpoints }

  /// Records `entry`, replacing an older entry of the same file.
  public mutating func record(_ entry: Entry) {
    checkpoints.removeAll { $0.file == entry.file }
    checkpoints.append(entry)
  }
}

/// What a ContrastLens checkpoint says about itself, in its safetensors metadata (string
/// values, readable with `safetensors.safe_open(path, "pt").metadata()`).
public struct CheckpointMetadata: Sendable, Equatable {
  /// The model the tensors under `encoder.` and `head.` belong to.
  public var architecture: ModelArchitecture
  /// The method that trained it.
  public var method: String
  /// Optimizer steps done.
  public var step: Int
  /// Completed epochs (fractional mid-epoch).
  public var epoch: Double
  /// The run's seed; with `step` it fixes every later random draw.
  public var seed: UInt64
  /// The optimizer whose state is stored under `optimizer.`.
  public var optimizer: String
  /// The best validation accuracy so far and its step (fine-tuning), so a resumed run
  /// keeps selecting against it.
  public var bestValidationAccuracy: Double?
  public var bestValidationStep: Int?

  /// The format marker every ContrastLens checkpoint carries.
  public static let format = "contrastlens-checkpoint-1"

  public init(architecture: ModelArchitecture, method: String, step: Int, epoch: Double, seed: UInt64, optimizer: String) {
    self.architecture = architecture
    self.method = method
    self.step = step
    self.epoch = epoch
    self.seed = seed
    self.optimizer = optimizer
  }
}

extension CheckpointMetadata {
  /// The safetensors metadata strings.
  public var strings: [String: String] {
    get throws(FileError) {
      var result = [
        "format": Self.format,
        "architecture": String(decoding: try JSONOutput.encode(architecture, pretty: false), as: UTF8.self),
        "method": method, "step": String(step), "epoch": String(epoch), "seed": String(seed), "optimizer": optimizer,
        "rng": "every random draw derives from (seed, step): nothing else to restore",
      ]
      if let bestValidationAccuracy, let bestValidationStep {
        result["best_val_accuracy"] = String(bestValidationAccuracy)
        result["best_val_step"] = String(bestValidationStep)
      }
      return result
    }
  }

  /// Reads the metadata of the checkpoint at `path`; errors say what is missing.
  public init(strings: [String: String], path: String) throws(FileError) {
    guard strings["format"] == Self.format else {
      throw FileError(
        path,
        "not a ContrastLens checkpoint (no format \"\(Self.format)\" in its metadata); for plain weights use --weights")
    }
    func value(_ key: String) throws(FileError) -> String {
      guard let text = strings[key] else { throw FileError(path, "checkpoint metadata lacks '\(key)'") }
      return text
    }
    guard let step = Int(try value("step")), step >= 0, let epoch = Double(try value("epoch")), epoch.isFinite,
      let seed = UInt64(try value("seed"))
    else { throw FileError(path, "checkpoint metadata has a bad step, epoch or seed") }
    let architecture = try JSONInput.decode(
      ModelArchitecture.self, from: Array(try value("architecture").utf8), path: path + " (architecture)")
    self.init(
      architecture: architecture, method: try value("method"), step: step, epoch: epoch, seed: seed,
      optimizer: try value("optimizer"))
    bestValidationAccuracy = strings["best_val_accuracy"].flatMap(Double.init)
    bestValidationStep = strings["best_val_step"].flatMap(Int.init)
  }
}
