import Foundation

/// The tensors of a weights file, whatever its format: safetensors, or a PyTorch
/// checkpoint (`.pth`, `.pth.tar`, `.pt`, `.pkl`) read without executing it.
public enum WeightsFile {
  /// Whether the file at `path` is a PyTorch checkpoint (by its first bytes).
  public static func isPyTorch(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    let prefix = (try? handle.read(upToCount: PyTorchCheckpoint.signatureLength)) ?? Data()
    return PyTorchCheckpoint.recognizes(Array(prefix))
  }

  /// The tensors of the file at `path`: a safetensors file's, or a PyTorch checkpoint's
  /// state dict (at `stateDictKey`, or found as `PyTorchCheckpoint.stateDict` finds it).
  public static func tensors(_ path: String, stateDictKey: String? = nil) throws(FileError) -> [String: SafeTensor] {
    if isPyTorch(path) { return try PyTorchCheckpoint.read(path).stateDict(key: stateDictKey) }
    if let stateDictKey {
      throw FileError(path, "is a safetensors file, which has no entries to choose with --state-dict-key '\(stateDictKey)'")
    }
    return try SafeTensorsFile.read(path).tensors
  }
}
