#if MPI
  import Engine
  import Foundation
  import RunFormat
  import TestSupport
  import Testing

  /// `mpirun -n 2 clens pretrain` as a user runs it (Open MPI, installed by the test
  /// command): two ranks train as one process, a lost rank ends the job with its name,
  /// and the run resumes, on any number of ranks.
  @Suite(.serialized) struct MPITrainingTests {
    static let mpirun = "/usr/bin/mpirun"

    static func arguments(_ method: String, out: String, limit: Int = 256, epochs: Int = 1) -> [String] {
      [
        "pretrain", "--method", method, "--dataset", "digits", "--limit", String(limit), "--width", "4", "--head-dim",
        "16", "--batch-size", "64", "--lr", "0.05", "--epochs", String(epochs), "--eval-limit", "60", "--log-every", "1",
        "--checkpoint-every", "2", "--threads", "1", "--seed", "3", "--quiet", "--sync-bn", "--out", out,
      ] + (method == "moco" ? ["--moco-k", "128"] : [])
    }

    /// `mpirun -n ranks clens arguments`, started (output to files under `dir`).
    static func start(ranks: Int, _ arguments: [String], log: String) throws -> Process {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: mpirun)
      process.arguments = ["-n", String(ranks), "--bind-to", "none", "--oversubscribe", CommandLineTool.executable.path] + arguments
      var environment = ProcessInfo.processInfo.environment
      // Open MPI refuses to run as root unless told to (CI runs as root).
      environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
      environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
      process.environment = environment
      _ = FileManager.default.createFile(atPath: log, contents: nil)
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
      process.standardOutput = handle
      process.standardError = handle
      try process.run()
      return process
    }

    static func run(ranks: Int, _ arguments: [String], log: String) throws -> (status: Int32, output: String) {
      let process = try start(ranks: ranks, arguments, log: log)
      process.waitUntilExit()
      return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// The pid of rank `rank` among the children of `launcher`.
    static func pid(ofRank rank: Int, launcher: Process) throws -> Int32 {
      let children = try String(
        contentsOfFile: "/proc/\(launcher.processIdentifier)/task/\(launcher.processIdentifier)/children", encoding: .utf8)
      for child in children.split(separator: " ").compactMap({ Int32($0) }) {
        let environment = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/environ"))) ?? Data()
        let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return child }
      }
      throw CocoaError(.fileNoSuchFile)
    }

    static func weights(_ run: String) throws -> [String: [Float]] {
      let file = try SafeTensorsFile.read(try RunDirectory(run).lastCheckpoint)
      var result = [String: [Float]]()
      for (name, tensor) in file.tensors where name.hasPrefix("encoder.") || name.hasPrefix("head.") {
        result[name] = tensor.floats()
      }
      return result
    }

    static func waitFor(_ condition: () -> Bool, seconds: Double) -> Bool {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
      }
      return condition()
    }

    @Test(arguments: ["simclr", "moco"]) func twoRanksTrainAsOneProcess(method: String) throws {
      let dir = TemporaryDirectory()
      let single = try CommandLineTool.run(Self.arguments(method, out: dir.file("one")))
      #expect(single.status == 0, "\(single.stderr)")
      let ranks = try Self.run(ranks: 2, Self.arguments(method, out: dir.file("two")), log: dir.file("two.log"))
      #expect(ranks.status == 0, "\(ranks.output)")
      // Rank 0 alone prints and writes.
      #expect(ranks.output.components(separatedBy: "\(method): 1 epochs").count == 2, "\(ranks.output)")
      let one = try RunDirectory(dir.file("one")).metricsFile.read().records
      let two = try RunDirectory(dir.file("two")).metricsFile.read().records
      #expect(one.count == 4 && two.count == one.count)
      for (a, b) in zip(one, two) {
        #expect(a.step == b.step && abs(a.loss - b.loss) <= 1e-4 * abs(a.loss), "step \(a.step): \(a.loss) vs \(b.loss)")
      }
      let scoresOne = try RunDirectory(dir.file("one")).scoresFile.read().records
      let scoresTwo = try RunDirectory(dir.file("two")).scoresFile.read().records
      #expect(scoresOne.map(\.negative.count) == scoresTwo.map(\.negative.count))
      let (wOne, wTwo) = (try Self.weights(dir.file("one")), try Self.weights(dir.file("two")))
      #expect(!wOne.isEmpty && Set(wOne.keys) == Set(wTwo.keys))
      for (name, values) in wOne {
        let scale = values.map(abs).max() ?? 0
        let difference = zip(values, wTwo[name] ?? []).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference <= 1e-3 * max(scale, 1e-3), "\(name): \(difference) of \(scale)")
      }
    }

    @Test func aKilledRankEndsTheJobNamingItAndTheRunResumesOnOneProcess() throws {
      let dir = TemporaryDirectory()
      let run = dir.file("run")
      let launcher = try Self.start(ranks: 2, Self.arguments("simclr", out: run, limit: 1024, epochs: 3), log: dir.file("log"))
      let checkpoint = run + "/checkpoints/last.safetensors"
      #expect(Self.waitFor({ FileManager.default.fileExists(atPath: checkpoint) }, seconds: 60))
      kill(try Self.pid(ofRank: 1, launcher: launcher), SIGKILL)
      let started = Date()
      #expect(Self.waitFor({ !launcher.isRunning }, seconds: 30))
      launcher.waitUntilExit()
      #expect(Date().timeIntervalSince(started) < 30)
      let output = try String(contentsOfFile: dir.file("log"), encoding: .utf8)
      #expect(launcher.terminationStatus != 0)
      #expect(output.contains("rank 1") && output.contains("rank 0 of 2: stopped by the MPI launcher"), "\(output)")
      let resumed = try CommandLineTool.run(["pretrain", "--resume", run, "--quiet", "--threads", "1"])
      #expect(resumed.status == 0, "\(resumed.stderr)")
      #expect(resumed.stdout.contains("simclr: 3 epochs, 48 steps"), "\(resumed.stdout)")
    }

    @Test func aRankThatStopsAnsweringIsNamedAfterTheTimeout() throws {
      let dir = TemporaryDirectory()
      let run = dir.file("run")
      let launcher = try Self.start(
        ranks: 2, Self.arguments("simclr", out: run, limit: 1024, epochs: 3) + ["--collective-timeout", "3"],
        log: dir.file("log"))
      #expect(Self.waitFor({ FileManager.default.fileExists(atPath: run + "/checkpoints/last.safetensors") }, seconds: 60))
      let stopped = try Self.pid(ofRank: 1, launcher: launcher)
      kill(stopped, SIGSTOP)
      defer { kill(stopped, SIGKILL) }
      #expect(Self.waitFor({ !launcher.isRunning }, seconds: 30))
      let output = try String(contentsOfFile: dir.file("log"), encoding: .utf8)
      #expect(output.contains("rank 0 of 2:") && output.contains("did not complete in 3 s (rank 1 did not answer)"), "\(output)")
    }
  }
#endif
